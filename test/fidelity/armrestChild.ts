// Runs azure-arm-rest's AzureRMEndpoint in a child process (task-lib moves ENDPOINT_AUTH_* into its
// vault when it loads, so each scheme needs a fresh process): getEndpoint(), getToken(), then lists
// the registries on ARM with that token.
import { execFile } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');

const CHILD = `
const { AzureRMEndpoint } = require('azure-pipelines-tasks-azure-arm-rest/azure-arm-endpoint');
const https = require('https');
(async () => {
  const ep = await new AzureRMEndpoint(process.argv[1]).getEndpoint();
  const token = await ep.applicationTokenCredentials.getToken();
  const url = ep.url + 'subscriptions/' + ep.subscriptionID + '/providers/Microsoft.ContainerRegistry/registries?api-version=2025-11-01';
  const res = await new Promise((resolve, reject) => https.get(url, { headers: { authorization: 'Bearer ' + token } }, (r) => {
    let body = ''; r.on('data', (c) => (body += c)); r.on('end', () => resolve({ status: r.statusCode, body }));
  }).on('error', reject));
  process.stdout.write('RESULT ' + JSON.stringify({ scheme: ep.scheme, url: ep.url, authority: ep.environmentAuthorityUrl, status: res.status, names: JSON.parse(res.body).value.map((v) => v.name) }) + '\\n');
})().catch((e) => { console.error('CHILD ERROR', e && e.message ? e.message : e); process.exit(3); });
`;

export interface ChildResult {
  code: number;
  stdout: string;
  stderr: string;
  result?: { scheme: string; url: string; authority: string; status: number; names: string[] };
}

export function runArmRestChild(
  env: Record<string, string>,
  connectionId = 'emulator',
  timeoutMs = 90000,
): Promise<ChildResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-e', CHILD, connectionId],
      {
        cwd: root,
        // azure-arm-rest alone does not read Agent.CAInfo: Node trusts the emulator's CA for it.
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          NODE_EXTRA_CA_CERTS: env.AGENT_CAINFO ?? '',
          ...env,
        },
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
          ...(line ? { result: JSON.parse(line.slice(7)) as ChildResult['result'] } : {}),
        });
      },
    );
  });
}
