// Creates a throw-away certificate authority and a server certificate for 127.0.0.1 / localhost
// (plus the emulated registry host names) with the openssl CLI. Node has no X.509 generator.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TlsMaterial {
  caCertPath: string;
  caPem: string;
  key: string;
  cert: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTls(dir: string, hostNames: string[]): TlsMaterial {
  fs.mkdirSync(dir, { recursive: true });
  const san = ['IP:127.0.0.1', 'DNS:localhost', ...hostNames.map((h) => `DNS:${h}`)].join(',');
  fs.writeFileSync(
    path.join(dir, 'ca.cnf'),
    [
      '[req]',
      'distinguished_name=dn',
      'prompt=no',
      '[dn]',
      'CN=Import Public Images emulator CA',
      '[v3_ca]',
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier=hash',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(dir, 'server.cnf'),
    [
      '[req]',
      'distinguished_name=dn',
      'prompt=no',
      '[dn]',
      'CN=127.0.0.1',
      '[v3_srv]',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid,issuer',
      `subjectAltName=${san}`,
      '',
    ].join('\n'),
  );
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '30',
      '-config',
      'ca.cnf',
      '-extensions',
      'v3_ca',
      '-sha256',
    ],
    dir,
  );
  openssl(
    ['req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-config', 'server.cnf'],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '30',
      '-sha256',
      '-extfile',
      'server.cnf',
      '-extensions',
      'v3_srv',
    ],
    dir,
  );
  const caCertPath = path.join(dir, 'ca.pem');
  return {
    caCertPath,
    caPem: fs.readFileSync(caCertPath, 'utf8'),
    key: fs.readFileSync(path.join(dir, 'server.key'), 'utf8'),
    cert: fs.readFileSync(path.join(dir, 'server.pem'), 'utf8'),
  };
}
