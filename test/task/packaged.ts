// Builds the dev and prod packages once per test process (scripts/package.js with a test
// publisher and repository, into a temp folder) and reads them back: the files of each .vsix.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const root = path.resolve(__dirname, '../../..');
export const packageScript = path.join(root, 'scripts', 'package.js');
export const PUBLISHER = 'contoso-test';
export const REPOSITORY = 'https://github.com/contoso/import-public-images';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const zip = require(path.join(root, 'scripts', 'zip.js')) as {
  readZip(buf: Buffer): Map<string, Buffer>;
  pngSize(buf: Buffer): { width: number; height: number };
};
export const { readZip, pngSize } = zip;

export interface Packaged {
  vsix: string;
  files: Map<string, Buffer>;
  text(name: string): string;
  taskJson: TaskJson;
}

export interface TaskInput {
  name: string;
  type: string;
  label: string;
  required?: boolean;
  defaultValue?: string | boolean;
  groupName?: string;
  helpMarkDown?: string;
  visibleRule?: string;
  options?: Record<string, string>;
  properties?: Record<string, string>;
}

export interface TaskJson {
  id: string;
  name: string;
  friendlyName: string;
  helpUrl?: string;
  helpMarkDown?: string;
  author?: string;
  releaseNotes?: string;
  demands?: string[];
  instanceNameFormat: string;
  version: { Major: number; Minor: number; Patch: number };
  groups: { name: string; displayName: string; visibleRule?: string; isExpanded?: boolean }[];
  inputs: TaskInput[];
  dataSourceBindings?: { target: string; endpointId?: string; dataSourceName?: string }[];
  execution: Record<string, { target: string }>;
}

/** Runs scripts/package.js with `args` (and no publisher from the environment). */
export function runPackage(args: string[], env: Record<string, string> = {}) {
  const clean = { ...process.env, ...env };
  if (!('EXTENSION_PUBLISHER' in env)) delete clean.EXTENSION_PUBLISHER;
  if (!('EXTENSION_REPOSITORY' in env)) delete clean.EXTENSION_REPOSITORY;
  return spawnSync(process.execPath, [packageScript, ...args], {
    cwd: root,
    env: clean,
    encoding: 'utf8',
  });
}

let built: { dev: Packaged; prod: Packaged; out: string } | undefined;

function open(vsix: string): Packaged {
  const files = readZip(fs.readFileSync(vsix));
  const text = (name: string) => {
    const b = files.get(name);
    if (!b) throw new Error(`${path.basename(vsix)} has no ${name}`);
    return b.toString('utf8');
  };
  return {
    vsix,
    files,
    text,
    taskJson: JSON.parse(text('tasks/ImportPublicImages/task.json')) as TaskJson,
  };
}

/** The dev and prod packages, built once (bundling first when dist/ is missing). */
export function packaged(): { dev: Packaged; prod: Packaged; out: string } {
  if (built) return built;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ipi-package-'));
  process.once('exit', () => fs.rmSync(out, { recursive: true, force: true }));
  const r = runPackage(['--publisher', PUBLISHER, '--repository', REPOSITORY, '--out', out]);
  if (r.status !== 0) throw new Error(`package.js failed:\n${r.stdout}\n${r.stderr}`);
  const vsix = (id: string) => path.join(out, `${PUBLISHER}.${id}-${version()}.vsix`);
  built = {
    dev: open(vsix('import-public-images-dev')),
    prod: open(vsix('import-public-images')),
    out,
  };
  return built;
}

export function version(): string {
  return (
    JSON.parse(fs.readFileSync(path.join(root, 'vss-extension.json'), 'utf8')) as {
      version: string;
    }
  ).version;
}

export { open as openVsix };
