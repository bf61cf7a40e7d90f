// Debian's docker-registry (distribution 2.8) started on 127.0.0.1 for a test: plain HTTP, no
// authentication, filesystem storage in a temp dir. Fails (does not skip) when it is missing:
// scripts/setup.sh installs it.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface DockerRegistry {
  /** http://127.0.0.1:PORT */
  base: string;
  stop(): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startDockerRegistry(): Promise<DockerRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docker-registry-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${dir}/data`,
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ];
  fs.writeFileSync(path.join(dir, 'config.yml'), config.join('\n'));
  const child: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stop = () => {
    child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const deadline = Date.now() + 15000;
  for (;;) {
    const failed = await Promise.race([
      spawnError,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)),
    ]);
    if (failed) {
      stop();
      throw new Error(
        `docker-registry could not start (install Debian's docker-registry): ${failed.message}`,
      );
    }
    try {
      if ((await fetch(`${base}/v2/`)).status === 200) return { base, stop };
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      stop();
      throw new Error(`docker-registry did not start:\n${stderr}`);
    }
  }
}
