// Keeps what the ACRs hold across emulator runs (`--acr-state FILE`), so that `npm start` run
// twice shows the second run skipping everything, as it would against a real registry.
import fs from 'node:fs';
import type { Acr } from './state';
import type { RegistryStore } from './store';

interface StoreJson {
  blobs: Record<string, string>;
  manifests: Record<string, { mediaType: string; body: string }>;
  repos: Record<string, { tags: Record<string, string>; manifests: string[] }>;
}

function dump(store: RegistryStore): StoreJson {
  const out: StoreJson = { blobs: {}, manifests: {}, repos: {} };
  for (const [d, b] of store.blobs) out.blobs[d] = b.toString('base64');
  for (const [d, m] of store.manifests) {
    out.manifests[d] = { mediaType: m.mediaType, body: m.body.toString('base64') };
  }
  for (const [name, r] of store.repos) {
    out.repos[name] = { tags: Object.fromEntries(r.tags), manifests: [...r.manifests] };
  }
  return out;
}

function load(store: RegistryStore, json: StoreJson): void {
  store.clear();
  for (const [d, b] of Object.entries(json.blobs)) store.blobs.set(d, Buffer.from(b, 'base64'));
  for (const [d, m] of Object.entries(json.manifests)) {
    store.manifests.set(d, { mediaType: m.mediaType, body: Buffer.from(m.body, 'base64') });
  }
  for (const [name, r] of Object.entries(json.repos)) {
    store.repos.set(name, {
      tags: new Map(Object.entries(r.tags)),
      manifests: new Set(r.manifests),
    });
  }
}

/** Writes every ACR's content to `file` (JSON, blobs in base64: the images are small). */
export function saveAcrState(acrs: Acr[], file: string): void {
  const state = Object.fromEntries(acrs.map((a) => [a.name, dump(a.store)]));
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state));
  fs.renameSync(`${file}.tmp`, file);
}

/** Restores the ACRs named in `file`, when it exists; returns how many were restored. */
export function loadAcrState(acrs: Acr[], file: string): number {
  if (!fs.existsSync(file)) return 0;
  const state = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, StoreJson>;
  let restored = 0;
  for (const acr of acrs) {
    const json = state[acr.name];
    if (json) {
      load(acr.store, json);
      restored++;
    }
  }
  return restored;
}
