// Command line of the emulator (`npm run emulator -- --help`).
import path from 'node:path';
import { parseHostPort } from './imds';
import type { Options } from './state';

export const USAGE = `Usage: npm run emulator -- [options]
  --import-latency-ms N        time an import takes (default 2000)
  --rtt-ms N                   hold every request N ms before answering it, on every listener but
                               the admin API (one network round trip; default 0)
  --faults FILE                fault rules JSON (see test/emulator/README.md, "Faults")
  --upstream HOST=URL          forward source registry HOST to a real registry URL (repeatable)
  --ready-file FILE            where to write the ready file (default: <state dir>/ready.json)
  --port N                     port of the ARM/Entra/admin listener (default: ephemeral)
  --extra-images N             add quay.io/bench/img-000..N-1:v1
  --extra-tags T               each extra image's repository holds T images, tagged v1..vT (default 1)
  --extra-signed N             the last N extra images' repositories are signed with the cosign key
                               (a .sig per tag) (benchmarks)
  --keyless-images N           add registry.k8s.io/bench/keyless-000..N-1:v1, each with a .sig holding
                               a key layer and a keyless layer (Kubernetes identity) (benchmarks)
  --extra-acrs N               add N more ACRs (extraacr000...) in rg-extra-*
  --registries-page-size N     page size of ARM list answers (default 100)
  --dockerhub-require-auth     docker.io refuses anonymous pulls
  --dockerhub-limit N          docker.io pull limit, anonymous and authenticated (default 100/200)
  --realm-host HOST=OTHER      HOST's 401 challenge names OTHER's token endpoint as realm (repeatable)
  --images-file FILE           image list for taskEnv (default: the repository's images.txt)
  --state-dir DIR              where the CA, server cert and temp dirs go (default: a new temp dir)
  --acr-state FILE             load what the ACRs hold from FILE at start, save it there on stop
  --exit-with-stdin            stop (saving --acr-state) when stdin closes: a parent that pipes
                               stdin takes the emulator with it however it ends (npm start)
  --charts N                   add N generated Helm charts, as OCI charts (quay.io/bench/charts/
                               bench-chart-000..:1.0.0) and in the HTTP Helm repository
                               https://kubernetes.github.io/bench-charts (benchmarks)
  --imds HOST:PORT             also serve IMDS's managed identity token endpoint there (plain HTTP;
                               azure-arm-rest uses 169.254.169.254:80)`;

export function parseArgs(argv: string[]): Options {
  const o: Options = {
    importLatencyMs: 2000,
    rttMs: 0,
    upstreams: {},
    port: 0,
    extraImages: 0,
    extraAcrs: 0,
    pageSize: 100,
    dockerHubRequireAuth: false,
    realmHosts: {},
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const [flag, inline] =
      a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const val = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    const num = () => {
      const n = Number(val());
      if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number`);
      return n;
    };
    switch (flag) {
      case '--import-latency-ms':
        o.importLatencyMs = num();
        break;
      case '--rtt-ms':
        o.rttMs = num();
        break;
      case '--faults':
        o.faultsFile = val();
        break;
      case '--upstream': {
        const v = val();
        const k = v.indexOf('=');
        if (k <= 0)
          throw new Error('--upstream expects HOST=URL, e.g. quay.io=http://127.0.0.1:5000');
        o.upstreams[v.slice(0, k)] = v.slice(k + 1);
        break;
      }
      case '--ready-file':
        o.readyFile = path.resolve(val());
        break;
      case '--port':
        o.port = num();
        break;
      case '--extra-images':
        o.extraImages = num();
        break;
      case '--extra-tags':
        o.extraTags = Math.max(1, num());
        break;
      case '--extra-signed':
        o.extraSigned = num();
        break;
      case '--keyless-images':
        o.keylessImages = num();
        break;
      case '--extra-acrs':
        o.extraAcrs = num();
        break;
      case '--registries-page-size':
        o.pageSize = Math.max(1, num());
        break;
      case '--dockerhub-require-auth':
        o.dockerHubRequireAuth = true;
        break;
      case '--dockerhub-limit':
        o.dockerHubLimit = num();
        break;
      case '--realm-host': {
        const v = val();
        const k = v.indexOf('=');
        if (k <= 0) throw new Error('--realm-host expects HOST=OTHER, e.g. docker.io=quay.io');
        o.realmHosts[v.slice(0, k)] = v.slice(k + 1);
        break;
      }
      case '--images-file':
        o.imagesFile = path.resolve(val());
        break;
      case '--state-dir':
        o.stateDir = path.resolve(val());
        break;
      case '--acr-state':
        o.acrStateFile = path.resolve(val());
        break;
      case '--exit-with-stdin':
        o.exitWithStdin = true;
        break;
      case '--charts':
        o.charts = num();
        break;
      case '--imds':
        o.imds = val();
        parseHostPort(o.imds);
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  return o;
}
