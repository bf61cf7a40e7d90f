// The baseline: the bash loop this extension replaces, run for real with the Azure CLI against
// the emulator. One `az acr import --force` per line (Docker Hub credentials for docker.io
// sources), then `sleep 15`, on every run, changed or not.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReadyFile } from '../test/helpers/emulator';

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

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, maxBuffer: 16 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.slice(0, 3).join(' ')} failed: ${stderr}`));
      else resolve();
    });
  });
}

export interface OldScriptRun {
  ms: number;
  lines: number;
}

/** Logs the CLI in (not timed), then times the old loop over `listPath` into the first ACR. */
export async function runOldScript(
  ready: ReadyFile,
  listPath: string,
  sleepSeconds: number,
): Promise<OldScriptRun> {
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
    const lines = fs
      .readFileSync(listPath, 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '' && !l.startsWith('#')).length;
    const loopEnv = {
      ...env,
      ACR: ready.acrs[0]?.name ?? '',
      LIST: listPath,
      SLEEP_SECONDS: String(sleepSeconds),
      DOCKER_NAME: ready.dockerHub.username,
      DOCKER_TOKEN: ready.dockerHub.password,
    };
    const t0 = Date.now();
    await run('bash', ['-c', OLD_LOOP], loopEnv);
    return { ms: Date.now() - t0, lines };
  } finally {
    fs.rmSync(configDir, { recursive: true, force: true });
  }
}
