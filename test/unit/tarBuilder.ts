// Builds tar and .tgz archives in memory for the chart tests, hostile ones included (links,
// climbing paths, oversized entries): what the reader must refuse is made here, never on disk.
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  name: string;
  data?: string | Buffer;
  /** tar type flag: '0' file (default), '5' folder, '1' hard link, '2' symlink, 'x' pax header. */
  type?: string;
  linkname?: string;
  /** Declared size when it should differ from the data (a damaged header). */
  size?: number;
}

function field(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value.slice(0, length), offset, 'utf8');
}

export function tarHeader(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  field(h, 0, 100, e.name);
  field(h, 100, 8, '0000644\0');
  field(h, 108, 8, '0000000\0');
  field(h, 116, 8, '0000000\0');
  field(h, 124, 12, `${size.toString(8).padStart(11, '0')}\0`);
  field(h, 136, 12, '00000000000\0');
  h.fill(0x20, 148, 156);
  field(h, 156, 1, e.type ?? '0');
  if (e.linkname) field(h, 157, 100, e.linkname);
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '', 'utf8');
    parts.push(tarHeader(e, e.size ?? data.length), data);
    const pad = (512 - (data.length % 512)) % 512;
    parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function tgz(entries: readonly TarEntry[]): Buffer {
  return gzipSync(tar(entries), { level: 9 });
}

/** A pax record: `<length> path=<value>\n`, the length counting itself. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length++;
  return `${length}${body}`;
}

export const CHART_YAML = `apiVersion: v2
name: ingress-nginx
version: 4.11.1
appVersion: 1.11.1
description: Ingress controller for Kubernetes using NGINX as a reverse proxy & load balancer
home: https://github.com/kubernetes/ingress-nginx
sources:
  - https://github.com/kubernetes/ingress-nginx
maintainers:
  - name: rikatz
  - name: strongjz
    email: strongjz@example.com
keywords:
  - ingress
  - nginx
kubeVersion: '>=1.21.0-0'
annotations:
  artifacthub.io/prerelease: "false"
  artifacthub.io/changes: |
    - "Update Ingress-Nginx version controller-v1.11.1"
type: application
`;

/** A small, valid chart archive. */
export function chartTgz(chartYaml = CHART_YAML, name = 'ingress-nginx'): Buffer {
  return tgz([
    { name: `${name}/Chart.yaml`, data: chartYaml },
    { name: `${name}/values.yaml`, data: 'controller:\n  image:\n    registry: registry.k8s.io\n' },
    { name: `${name}/templates/`, type: '5' },
    { name: `${name}/templates/deployment.yaml`, data: 'kind: Deployment\n' },
  ]);
}
