// scripts/package.js: the .vsix files hold what an install needs, checked in the generated
// extension.vsixmanifest (tfx is silent when an icon or license goes missing), the dev and prod
// flavours install side by side, and the publisher and repository are parameters.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PUBLISHER, REPOSITORY, openVsix, packaged, pngSize, root, runPackage } from './packaged';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require(path.join(root, 'scripts', 'package.js')) as {
  problems(
    name: string,
    files: Map<string, Buffer>,
    staged: { manifest: { publisher: string }; task: { id: string; name: string } },
    opts: { public: boolean; repository?: string },
  ): string[];
};

const asset = (xml: string, type: string) =>
  new RegExp(
    `<Asset Type="Microsoft\\.VisualStudio\\.Services\\.${type.replace(/\./g, '\\.')}"[^>]*Path="([^"]+)"`,
  ).exec(xml)?.[1];

describe('package: the .vsix files (scripts/package.js)', function () {
  this.timeout(180000);
  before(() => packaged());

  for (const flavour of ['dev', 'prod'] as const) {
    it(`${flavour}: the vsixmanifest has the icon, license, overview, links and targets; the vsomanifest the task`, () => {
      const p = packaged()[flavour];
      const xml = p.text('extension.vsixmanifest');
      assert.equal(asset(xml, 'Icons.Default'), 'images/extension-icon.png');
      assert.match(xml, /<Icon>images\/extension-icon\.png<\/Icon>/);
      assert.equal(asset(xml, 'Content.License'), 'LICENSE');
      assert.match(xml, /<License>LICENSE<\/License>/);
      assert.equal(asset(xml, 'Content.Details'), 'overview.md');
      assert.match(xml, /<InstallationTarget Id="Microsoft\.VisualStudio\.Services\.Cloud"\/>/);
      assert.match(
        xml,
        /<InstallationTarget Id="Microsoft\.TeamFoundation\.Server" Version="\[19\.225,\)"\/>/,
      );
      assert.match(xml, /Branding\.Color" Value="#0078d4"/);
      assert.match(xml, new RegExp(`Links\\.GitHub" Value="${REPOSITORY}"`));
      assert.match(xml, new RegExp(`Links\\.Support" Value="${REPOSITORY}/issues"`));
      assert.match(xml, new RegExp(`Links\\.License" Value="${REPOSITORY}/blob/HEAD/LICENSE"`));
      assert.match(xml, new RegExp(`Publisher="${PUBLISHER}"`));
      for (const f of ['LICENSE', 'overview.md', 'images/extension-icon.png'])
        assert.ok(p.files.has(f), f);
      const vso = JSON.parse(p.text('extension.vsomanifest')) as {
        contributions: { type: string; properties: { name: string } }[];
      };
      assert.deepEqual(
        vso.contributions
          .filter((c) => c.type === 'ms.vss-distributed-task.task')
          .map((c) => c.properties.name),
        ['tasks/ImportPublicImages'],
      );
      assert.deepEqual(pngSize(p.files.get('images/extension-icon.png')!), {
        width: 128,
        height: 128,
      });
      assert.deepEqual(pngSize(p.files.get('tasks/ImportPublicImages/icon.png')!), {
        width: 32,
        height: 32,
      });
      assert.doesNotMatch(
        p.text('tasks/ImportPublicImages/task.json'),
        /example\.invalid|your-publisher-id/,
      );
    });
  }

  it('dev and prod install side by side: extension ids, task GUIDs and task names all differ', () => {
    const { dev, prod } = packaged();
    const id = (p: typeof dev) =>
      /<Identity [^>]*Id="([^"]+)"/.exec(p.text('extension.vsixmanifest'))?.[1];
    assert.equal(id(prod), 'import-public-images');
    assert.equal(id(dev), 'import-public-images-dev');
    assert.equal(prod.taskJson.name, 'ImportPublicImages');
    assert.equal(dev.taskJson.name, 'ImportPublicImagesDev');
    assert.notEqual(dev.taskJson.id, prod.taskJson.id);
    assert.match(dev.taskJson.friendlyName, /\(Dev\)$/);
    assert.deepEqual(dev.taskJson.version, prod.taskJson.version);
  });

  it('both are private by default; --public makes prod public; dev cannot be', () => {
    const { dev, prod, out } = packaged();
    for (const p of [dev, prod])
      assert.doesNotMatch(p.text('extension.vsixmanifest'), /<GalleryFlags>[^<]*Public/);
    const r = runPackage([
      'prod',
      '--public',
      '--publisher',
      PUBLISHER,
      '--repository',
      REPOSITORY,
      '--out',
      path.join(out, 'public'),
    ]);
    assert.equal(r.status, 0, r.stderr);
    const pub = openVsix(path.join(out, 'public', path.basename(prod.vsix)));
    assert.match(pub.text('extension.vsixmanifest'), /<GalleryFlags>Public<\/GalleryFlags>/);
    assert.doesNotMatch(r.stdout, /--share-with/);
    const devPublic = runPackage(['dev', '--public', '--out', path.join(out, 'x')]);
    assert.equal(devPublic.status, 1);
    assert.match(devPublic.stderr, /--public applies to the prod flavour only/);
  });

  it('prints the publish command with --share-with for a private package', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ipi-share-'));
    try {
      const r = runPackage(['prod', '--share-with', 'contoso-org', '--out', out], {
        EXTENSION_PUBLISHER: PUBLISHER,
        EXTENSION_REPOSITORY: REPOSITORY,
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(
        r.stdout,
        /publish: npx tfx extension publish --vsix \S+contoso-test\.import-public-images-\S+\.vsix --share-with contoso-org/,
      );
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('prod refuses the placeholder publisher or repository; without a flavour only dev is built', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ipi-refuse-'));
    try {
      for (const args of [
        ['prod', '--repository', REPOSITORY],
        ['prod', '--publisher', 'your-publisher-id', '--repository', REPOSITORY],
        ['prod', '--publisher', PUBLISHER],
      ]) {
        const r = runPackage([...args, '--out', out]);
        assert.equal(r.status, 1, args.join(' '));
        assert.match(r.stderr, /refused: the prod package needs/);
      }
      assert.equal(fs.readdirSync(out).filter((f) => f.endsWith('.vsix')).length, 0);
      const r = runPackage(['--out', out]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /prod: not built/);
      assert.deepEqual(
        fs.readdirSync(out).filter((f) => f.endsWith('.vsix')),
        [
          `your-publisher-id.import-public-images-dev-${JSON.parse(fs.readFileSync(path.join(root, 'vss-extension.json'), 'utf8')).version}.vsix`,
        ],
      );
      const bad = runPackage(['dev', '--publisher', 'not a publisher', '--out', out]);
      assert.equal(bad.status, 1);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("package.js's own check fails when the icon, license, overview or task contribution is missing", () => {
    const { prod } = packaged();
    const staged = {
      manifest: { publisher: PUBLISHER },
      task: { id: prod.taskJson.id, name: prod.taskJson.name },
    };
    const opts = { public: false, repository: REPOSITORY };
    assert.deepEqual(pkg.problems('prod', prod.files, staged, opts), []);
    const without = (file: string, edit: (s: string) => string) => {
      const files = new Map(prod.files);
      files.set(file, Buffer.from(edit(prod.text(file))));
      return pkg.problems('prod', files, staged, opts).join('\n');
    };
    const xml = 'extension.vsixmanifest';
    assert.match(
      without(xml, (s) => s.replace(/<Icon>.*<\/Icon>/, '')),
      /no <Icon>/,
    );
    assert.match(
      without(xml, (s) =>
        s.replace(/<Asset Type="Microsoft\.VisualStudio\.Services\.Icons\.Default"[^>]*\/>/, ''),
      ),
      /Icons\.Default/,
    );
    assert.match(
      without(xml, (s) => s.replace(/<License>.*<\/License>/, '')),
      /no <License>/,
    );
    assert.match(
      without(xml, (s) =>
        s.replace(/<Asset Type="Microsoft\.VisualStudio\.Services\.Content\.Details"[^>]*\/>/, ''),
      ),
      /Content\.Details/,
    );
    assert.match(
      without('extension.vsomanifest', (s) =>
        s.replace(/ms\.vss-distributed-task\.task"/, 'other"'),
      ),
      /no task contribution/,
    );
    assert.match(
      without('tasks/ImportPublicImages/task.json', (s) =>
        s.replace(/contoso\/import-public-images/, 'x').replace(/github\.com/, 'example.invalid'),
      ),
      /placeholder/,
    );
    const noLicense = new Map(prod.files);
    noLicense.delete('LICENSE');
    assert.match(pkg.problems('prod', noLicense, staged, opts).join('\n'), /missing \["LICENSE"\]/);
  });
});
