import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ImageEntry,
  formatProblem,
  parseImageList,
} from '../../tasks/ImportPublicImages/src/core/list/imageList';
import { ImageReference } from '../../tasks/ImportPublicImages/src/core/list/reference';

const HEX = 'fedcba9876543210'.repeat(4);
const D = `sha256:${HEX}`;
const D2 = `sha256:${'0'.repeat(64)}`;

const src = (registry: string, repository: string, tag?: string, digest?: string) => {
  const r: ImageReference = { registry, repository };
  if (tag !== undefined) r.tag = tag;
  if (digest !== undefined) r.digest = digest;
  return r;
};
const entry = (
  text: string,
  source: ImageReference,
  targetRepository: string,
  targetTags: string[],
  line = 1,
): ImageEntry => ({ line, text, source, targetRepository, targetTags });

/** Parses one line and expects exactly one entry and no problems. */
function one(line: string): ImageEntry {
  const parsed = parseImageList(line);
  assert.deepEqual(parsed.errors, [], `errors for ${line}`);
  assert.deepEqual(parsed.warnings, []);
  assert.equal(parsed.entries.length, 1);
  return parsed.entries[0] as ImageEntry;
}

const EXAMPLES: Array<[string, ImageEntry]> = [
  [
    'registry.k8s.io/ingress-nginx/controller:v1.11.1 => ingress-nginx/controller',
    entry(
      '',
      src('registry.k8s.io', 'ingress-nginx/controller', 'v1.11.1'),
      'ingress-nginx/controller',
      ['v1.11.1'],
    ),
  ],
  [
    'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.1 => ingress-nginx/kube-webhook-certgen',
    entry(
      '',
      src('registry.k8s.io', 'ingress-nginx/kube-webhook-certgen', 'v1.4.1'),
      'ingress-nginx/kube-webhook-certgen',
      ['v1.4.1'],
    ),
  ],
  [
    'quay.io/jetstack/cert-manager-controller:v1.15.2 => jetstack/cert-manager-controller',
    entry(
      '',
      src('quay.io', 'jetstack/cert-manager-controller', 'v1.15.2'),
      'jetstack/cert-manager-controller',
      ['v1.15.2'],
    ),
  ],
  [
    'quay.io/jetstack/cert-manager-webhook:v1.15.2 => jetstack/cert-manager-webhook',
    entry(
      '',
      src('quay.io', 'jetstack/cert-manager-webhook', 'v1.15.2'),
      'jetstack/cert-manager-webhook',
      ['v1.15.2'],
    ),
  ],
  [
    'quay.io/jetstack/cert-manager-cainjector:v1.15.2 => jetstack/cert-manager-cainjector',
    entry(
      '',
      src('quay.io', 'jetstack/cert-manager-cainjector', 'v1.15.2'),
      'jetstack/cert-manager-cainjector',
      ['v1.15.2'],
    ),
  ],
  [
    'docker.io/cloudflare/cloudflared:latest => cloudflare/cloudflared',
    entry('', src('docker.io', 'cloudflare/cloudflared', 'latest'), 'cloudflare/cloudflared', [
      'latest',
    ]),
  ],
  [
    'mcr.microsoft.com/azuredocs/aks-helloworld:v1 => azuredocs/aks-helloworld',
    entry(
      '',
      src('mcr.microsoft.com', 'azuredocs/aks-helloworld', 'v1'),
      'azuredocs/aks-helloworld',
      ['v1'],
    ),
  ],
];

describe('parseImageList: the seven example lines', () => {
  for (const [line, expected] of EXAMPLES) {
    it(line.split(' ')[0] ?? line, () => assert.deepEqual(one(line), { ...expected, text: line }));
  }
});

describe('parseImageList: forms and extensions', () => {
  // [line, source, targetRepository, targetTags]
  const cases: Array<[string, ImageReference, string, string[]]> = [
    ['nginx => nginx', src('docker.io', 'library/nginx', 'latest'), 'nginx', ['latest']],
    [
      'nginx:latest => web/nginx',
      src('docker.io', 'library/nginx', 'latest'),
      'web/nginx',
      ['latest'],
    ],
    ['localhost:5000/img => img', src('localhost:5000', 'img', 'latest'), 'img', ['latest']],
    [`repo:v1@${D} => repo`, src('docker.io', 'library/repo', 'v1', D), 'repo', ['v1']],
    [`quay.io/a/b@${D} => b`, src('quay.io', 'a/b', undefined, D), 'b', []],
    [`quay.io/a/b@${D} => b:pinned`, src('quay.io', 'a/b', undefined, D), 'b', ['pinned']],
    [`quay.io/a/b:v2@${D} => b:v2-mirror`, src('quay.io', 'a/b', 'v2', D), 'b', ['v2-mirror']],
    ['registry.k8s.io/pause:3.10', src('registry.k8s.io', 'pause', '3.10'), 'pause', ['3.10']],
    ['nginx:1.27', src('docker.io', 'library/nginx', '1.27'), 'library/nginx', ['1.27']],
    [
      'quay.io/jetstack/cert-manager-webhook',
      src('quay.io', 'jetstack/cert-manager-webhook', 'latest'),
      'jetstack/cert-manager-webhook',
      ['latest'],
    ],
    [`ghcr.io/o/app@${D}`, src('ghcr.io', 'o/app', undefined, D), 'o/app', []],
    [
      'registry.k8s.io/ingress-nginx/controller:v1.11.1 => ingress-nginx/controller:v1.11.1-mirror',
      src('registry.k8s.io', 'ingress-nginx/controller', 'v1.11.1'),
      'ingress-nginx/controller',
      ['v1.11.1-mirror'],
    ],
    ['[::1]:5000/img:v1 => mirror/img', src('[::1]:5000', 'img', 'v1'), 'mirror/img', ['v1']],
    [
      'index.docker.io/bitnami/redis:7 => redis',
      src('docker.io', 'bitnami/redis', '7'),
      'redis',
      ['7'],
    ],
    ['nginx=>nginx', src('docker.io', 'library/nginx', 'latest'), 'nginx', ['latest']],
    [
      '   nginx   =>   web/a.b_c__d--e   ',
      src('docker.io', 'library/nginx', 'latest'),
      'web/a.b_c__d--e',
      ['latest'],
    ],
    ['nginx => a.b_c', src('docker.io', 'library/nginx', 'latest'), 'a.b_c', ['latest']],
  ];
  for (const [line, source, targetRepository, targetTags] of cases) {
    it(line.length > 70 ? line.slice(0, 67) + '...' : line, () => {
      const e = one(line);
      assert.deepEqual(
        { source: e.source, targetRepository: e.targetRepository, targetTags: e.targetTags },
        { source, targetRepository, targetTags },
      );
      assert.equal(e.text, line.trim());
    });
  }
});

describe('parseImageList: comments, blank lines, CRLF, BOM', () => {
  const nginx = entry('nginx:1 => web', src('docker.io', 'library/nginx', '1'), 'web', ['1']);
  const cases: Array<[string, string, ImageEntry[]]> = [
    ['empty file', '', []],
    ['only comments and blanks', '# a\n\n   # b\n\t\n', []],
    ['trailing comment', 'nginx:1 => web   # the web server', [{ ...nginx }]],
    ['trailing comment with tab', 'nginx:1 => web\t#x', [{ ...nginx }]],
    ['line numbers count comments and blanks', '# h\n\nnginx:1 => web\n', [{ ...nginx, line: 3 }]],
    ['CRLF', '# h\r\n\r\nnginx:1 => web\r\n', [{ ...nginx, line: 3 }]],
    ['UTF-8 BOM', '\ufeffnginx:1 => web\n', [{ ...nginx }]],
    ['BOM and CRLF', '\ufeff# h\r\nnginx:1 => web # c\r\n', [{ ...nginx, line: 2 }]],
    ['indented comment', '   # nginx:1 => web', []],
  ];
  for (const [title, content, entries] of cases) {
    it(title, () =>
      assert.deepEqual(parseImageList(content), { entries, errors: [], warnings: [] }),
    );
  }
});

describe('parseImageList: line errors', () => {
  // [line, message pattern, example]
  const cases: Array<[string, RegExp, string]> = [
    [
      'Quay.io/Jetstack/cert-manager:v1',
      /repository names must be lowercase/,
      'quay.io/jetstack/cert-manager:v1 => jetstack/cert-manager',
    ],
    ['Nginx => web', /must be lowercase/, 'nginx => web'],
    ['nginx => Web/Nginx', /destination: repository names must be lowercase/, 'nginx => web/nginx'],
    ['nginx => myacr.azurecr.io/nginx', /without a registry host/, 'nginx => nginx'],
    ['nginx => localhost:5000/web:v1', /without a registry host/, 'nginx => web:v1'],
    ['nginx => docker.io/library/nginx', /without a registry host/, 'nginx => library/nginx'],
    ['nginx => my.team/web', /without a registry host/, 'nginx => web'],
    [`nginx => web@${D}`, /cannot carry a digest/, 'nginx => web'],
    ['nginx =>', /destination after "=>" is empty/, 'nginx => library/nginx'],
    [
      '=> web',
      /source image is missing/,
      'registry.k8s.io/ingress-nginx/controller:v1.11.1 => ingress-nginx/controller',
    ],
    [
      'a => b => c',
      /one "=>"/,
      'registry.k8s.io/ingress-nginx/controller:v1.11.1 => ingress-nginx/controller',
    ],
    ['nginx:1.27 web', /write "=>" between/, 'nginx:1.27 => web'],
    ['nginx:1.27 -> web', /write "=>" between/, 'nginx:1.27 => web'],
    ['nginx => we b', /destination cannot contain spaces/, 'nginx => library/nginx'],
    ['nginx => web:.bad', /not a valid tag/, 'nginx => web'],
    ['nginx => web..x', /not a valid repository path/, 'nginx => library/nginx'],
    [`nginx => ${'a'.repeat(256)}`, /at most 255/, 'nginx => library/nginx'],
    ['nginx@sha256:abc => web', /64 lowercase hex.*or leave the digest out/, 'nginx => web'],
    ['nginx: => web', /tag after ":" is empty/, 'nginx:v1.0.0 => web'],
    [
      'bad_host.io/x => x',
      /not a valid registry host/,
      'registry.k8s.io/ingress-nginx/controller:v1.11.1 => x',
    ],
    [
      'nginx#notacomment => web',
      /not a valid repository path/,
      'registry.k8s.io/ingress-nginx/controller:v1.11.1 => web',
    ],
  ];
  for (const [line, message, example] of cases) {
    it(`rejects ${line.length > 60 ? line.slice(0, 57) + '...' : line}`, () => {
      const parsed = parseImageList(`# header\n${line}\n`);
      assert.deepEqual(parsed.entries, []);
      assert.deepEqual(parsed.warnings, []);
      assert.equal(parsed.errors.length, 1);
      const problem = parsed.errors[0];
      assert.ok(problem);
      assert.equal(problem.line, 2);
      assert.equal(problem.text, line.trim());
      assert.match(problem.message, message);
      assert.equal(problem.example, example);
      // The suggested line must itself be accepted.
      const fixed = parseImageList(example.replace('<another tag>', 'v2'));
      assert.deepEqual(fixed.errors, [], `example ${example} parses`);
    });
  }
  it('keeps the good lines around a bad one', () => {
    const parsed = parseImageList('nginx:1 => a\nNGINX => b\nredis:7 => c\n');
    assert.deepEqual(
      parsed.entries.map((e) => [e.line, e.targetRepository]),
      [
        [1, 'a'],
        [3, 'c'],
      ],
    );
    assert.deepEqual(
      parsed.errors.map((e) => e.line),
      [2],
    );
  });
});

describe('parseImageList: whole-list checks', () => {
  it('one target fed from two sources is an error naming both lines', () => {
    const parsed = parseImageList('quay.io/x/app:v1 => app\n# c\nghcr.io/x/app:v1 => app\n');
    assert.equal(parsed.entries.length, 1);
    assert.equal(parsed.entries[0]?.line, 1);
    assert.equal(parsed.errors.length, 1);
    const e = parsed.errors[0];
    assert.equal(e?.line, 3);
    assert.match(e?.message ?? '', /app:v1 .*line 1/);
    assert.match(e?.message ?? '', /quay\.io\/x\/app:v1/);
    assert.match(e?.message ?? '', /ghcr\.io\/x\/app:v1/);
    assert.equal(e?.example, 'ghcr.io/x/app:v1 => app:<another tag>');
  });
  const conflicts: Array<[string, string]> = [
    ['explicit destination tags collide', 'a:1 => web:prod\nb:2 => web:prod'],
    ['pinned and unpinned of the same tag', `nginx:1 => web\nnginx:1@${D} => web`],
    ['two digests under one tag', `nginx@${D} => web:x\nnginx@${D2} => web:x`],
    ['implicit latest collides', 'nginx => web\nhttpd:latest => web'],
  ];
  for (const [title, content] of conflicts) {
    it(`conflict: ${title}`, () => {
      const parsed = parseImageList(content);
      assert.deepEqual(
        parsed.errors.map((e) => [e.line, /line 1/.test(e.message)]),
        [[2, true]],
      );
      assert.equal(parsed.entries.length, 1);
      assert.deepEqual(parsed.warnings, []);
    });
  }
  const duplicates: Array<[string, string]> = [
    ['identical lines', 'nginx:1 => web\nnginx:1 => web'],
    [
      'same after normalisation',
      'nginx => web\ndocker.io/library/nginx:latest => web:latest # again',
    ],
    [
      'omitted destination equals written one',
      'registry.k8s.io/pause:3.10\nregistry.k8s.io/pause:3.10 => pause',
    ],
    ['untagged digest twice', `nginx@${D} => web\nindex.docker.io/nginx@${D} => web`],
  ];
  for (const [title, content] of duplicates) {
    it(`duplicate warning: ${title}`, () => {
      const parsed = parseImageList(content);
      assert.deepEqual(parsed.errors, []);
      assert.equal(parsed.entries.length, 1);
      assert.equal(parsed.entries[0]?.line, 1);
      assert.equal(parsed.warnings.length, 1);
      assert.equal(parsed.warnings[0]?.line, 2);
      assert.match(parsed.warnings[0]?.message ?? '', /duplicate of line 1/);
      assert.equal(parsed.warnings[0]?.duplicateOf, 1);
    });
  }
  const fine: Array<[string, string, number]> = [
    ['same source into two repositories', 'nginx:1 => a\nnginx:1 => b', 2],
    ['same repository, different tags', 'nginx:1 => web\nnginx:2 => web', 2],
    ['two digests untagged into one repository', `nginx@${D} => web\nnginx@${D2} => web`, 2],
    ['same source, second tag via destination', 'nginx:1 => web\nnginx:1 => web:stable', 2],
  ];
  for (const [title, content, count] of fine) {
    it(`no problem: ${title}`, () => {
      const parsed = parseImageList(content);
      assert.deepEqual([parsed.entries.length, parsed.errors, parsed.warnings], [count, [], []]);
    });
  }
});

describe('parseImageList: problem order', () => {
  it('reports line errors and whole-list errors in file order', () => {
    const parsed = parseImageList('a:1 => web\nb:1 => web\nBAD\n');
    assert.deepEqual(
      parsed.errors.map((e) => e.line),
      [2, 3],
    );
  });
});

describe('formatProblem', () => {
  it('with an example', () => {
    const parsed = parseImageList('\n\n\nQuay.io/Jetstack/cert-manager:v1\n');
    assert.equal(
      formatProblem('images.txt', parsed.errors[0] ?? { line: 0, text: '', message: '' }),
      'images.txt:4: repository names must be lowercase (Quay.io/Jetstack/cert-manager:v1). ' +
        'Write it like: quay.io/jetstack/cert-manager:v1 => jetstack/cert-manager',
    );
  });
  it('without an example', () => {
    assert.equal(
      formatProblem('list/images.txt', { line: 7, text: 'nginx', message: 'duplicate of line 2' }),
      'list/images.txt:7: duplicate of line 2 (nginx)',
    );
  });
});

describe('images.txt in the repository', () => {
  it('parses to the seven example entries with no errors or warnings', () => {
    const root = path.resolve(__dirname, '../../..');
    const content = fs.readFileSync(path.join(root, 'images.txt'), 'utf8');
    const parsed = parseImageList(content);
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.warnings, []);
    assert.deepEqual(
      parsed.entries.map((e) => ({ ...e, line: 0 })),
      EXAMPLES.map(([line, e]) => ({ ...e, text: line, line: 0 })),
    );
    const lines = content.split(/\r?\n/);
    for (const e of parsed.entries) assert.equal(lines[e.line - 1], e.text);
  });
});
