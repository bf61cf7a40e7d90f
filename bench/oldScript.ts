// The baseline: the bash loop this extension replaces, run for real with the Azure CLI against
// the emulator. One `az acr import --force` per line (Docker Hub credentials for docker.io
// sources), then `sleep 15`, on every run, changed or not. Every run is also checked: the ACR
// holds each line's target and ARM got one importImage per line (`npm run bench -- --only
// old-script --old-sleep 0 --latency 300` runs just that check, in about 15 s).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../test/helpers/emulator';
import { importRequests } from '../test/e2e/runTask';

// As the old pipeline had it (tag = text after the last ':', the bug docs/benchmarks.md describes).
const OLD_LOOP = `
set -e
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in ''|'#'*) continue;; esac
  src="\${line%% =>*}"; dest="\${line##*=> }"; tag="\${src##*:}"
  creds=""
  case "$src" in docker.io/*) creds="--username $DOCKER_NAME --password $DOCKER_TOKEN";; esac
  az acr import --name "$ACR" --source "$src" --image "$dest:$tag" --force $creds --only-show-errors
  sleep "$SLEEP_SECONDS"
done < "$LIST"
`;

// The strongest simple alternative a user could write instead: the same `az acr import` lines in
// parallel (`xargs -P 8`), no sleep, same tag rule and credentials as OLD_LOOP.
const PARALLEL_LINES = `
set -e
grep -v -e '^$' -e '^#' "$LIST" | xargs -d '\\n' -n 1 -P "$PARALLEL" bash -c '
  line="$0"; src="\${line%% =>*}"; dest="\${line##*=> }"; tag="\${src##*:}"
  creds=""
  case "$src" in docker.io/*) creds="--username $DOCKER_NAME --password $DOCKER_TOKEN";; esac
  exec az acr import --name "$ACR" --source "$src" --image "$dest:$tag" --force $creds --only-show-errors'
`;

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, maxBuffer: 16 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.slice(0, 3).join(' ')} failed: ${stderr}`));
      else resolve();
    });
  });
}

/**
 * The targets OLD_LOOP imports, read as its shell does: the lines neither empty nor starting with
 * '#'; src before the first ' =>', dest after the last '=> ', tag after src's last ':'.
 */
export function oldLoopTargets(list: string): string[] {
  return list
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const at = line.indexOf(' =>');
      const src = at >= 0 ? line.slice(0, at) : line;
      const arrow = line.lastIndexOf('=> ');
      const dest = arrow >= 0 ? line.slice(arrow + 3) : line;
      return `${dest}:${src.slice(src.lastIndexOf(':') + 1)}`;
    });
}

export interface OldScriptRun {
  ms: number;
  lines: number;
}

/**
 * Logs the CLI in (not timed), then times the old loop over `listPath` into the first ACR (empty
 * before), and checks what the loop did: the ACR holds exactly the lines' targets and ARM got one
 * importImage per line. Throws, saying what differs, when it did not. `{ parallel: P }` runs the
 * same lines P at a time with `xargs -P P` and no sleep instead, checked the same way.
 */
export async function runOldScript(
  em: RunningEmulator,
  listPath: string,
  sleepSeconds: number,
  how: { parallel?: number } = {},
): Promise<OldScriptRun> {
  const { ready } = em;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-az-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AZURE_CONFIG_DIR: configDir,
    REQUESTS_CA_BUNDLE: ready.caCertPath,
    AZURE_CORE_COLLECT_TELEMETRY: 'no',
  };
  try {
    await run('az', ['cloud', 'register', '--name', 'Emulator', ...ready.azCloudRegisterArgs], env);
    await run('az', ['cloud', 'set', '--name', 'Emulator'], env);
    await run(
      'az',
      [
        'login',
        '--service-principal',
        '-u',
        ready.clientId,
        '-p',
        ready.clientSecret,
        '--tenant',
        ready.tenantId,
      ],
      env,
    );
    const targets = oldLoopTargets(fs.readFileSync(listPath, 'utf8'));
    const logged = (await em.admin.requests()).length;
    const loopEnv = {
      ...env,
      ACR: ready.acrs[0]?.name ?? '',
      LIST: listPath,
      SLEEP_SECONDS: String(sleepSeconds),
      PARALLEL: String(how.parallel ?? 1),
      DOCKER_NAME: ready.dockerHub.username,
      DOCKER_TOKEN: ready.dockerHub.password,
    };
    const t0 = Date.now();
    await run('bash', ['-c', how.parallel ? PARALLEL_LINES : OLD_LOOP], loopEnv);
    const ms = Date.now() - t0;
    await checkImported(em, targets, logged);
    return { ms, lines: targets.length };
  } finally {
    fs.rmSync(configDir, { recursive: true, force: true });
  }
}

/** The ACR holds exactly `targets`, and the request log since entry `from` has one importImage each. */
async function checkImported(em: RunningEmulator, targets: string[], from: number): Promise<void> {
  const acr = em.ready.acrs[0]?.name ?? '';
  const held = (await em.admin.tags(acr)).map((t) => `${t.repository}:${t.tag}`).sort();
  const want = [...targets].sort();
  if (JSON.stringify(held) !== JSON.stringify(want))
    throw new Error(
      `the old script left ${acr} holding ${held.join(', ')}; expected ${want.join(', ')}`,
    );
  const posts = importRequests((await em.admin.requests()).slice(from));
  if (posts.length !== targets.length)
    throw new Error(
      `the old script sent ${posts.length} importImage requests for ${targets.length} lines`,
    );
}
