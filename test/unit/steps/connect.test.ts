// The connect step (steps/connect.ts): the service connection as the agent hands it over (task-lib's
// vault, as an agent fills it), azure-arm-rest reading it, and the ARM reads' retry. Each way it
// fails before a request says why and what to fix; a cancel while connecting ends the run as a
// cancel; a throttled or failing registry read says what it waits for.
import assert from 'node:assert/strict';
import * as os from 'node:os';
import 'azure-pipelines-task-lib/task'; // loads the vault the agent's secrets are kept in
import * as im from 'azure-pipelines-task-lib/internal';
import type { RunContext } from '../../../tasks/ImportPublicImages/src/core/run/runContext';
import { ThrottleGate } from '../../../tasks/ImportPublicImages/src/core/run/throttleGate';
import {
  armReadRetry,
  connect,
  type ConnectDeps,
} from '../../../tasks/ImportPublicImages/src/steps/connect';
import type { Transport } from '../../../tasks/ImportPublicImages/src/transport/agents';
import { FakeClock } from '../fakeClock';
import { RecordingReporter } from '../flowFakes';

const KEY = 'spn-key-5d1e0c7a-never-logged';

/** A service principal connection on the agent, as the agent passes it to the task. */
function agentConnection(id: string, data: Record<string, string>): void {
  process.env[`ENDPOINT_URL_${id}`] = 'https://management.azure.com/';
  for (const [k, v] of Object.entries(data))
    process.env[`ENDPOINT_DATA_${id}_${k.toUpperCase()}`] = v;
  const parameters = {
    serviceprincipalid: 'app-id',
    serviceprincipalkey: KEY,
    tenantid: 'tenant',
    authenticationType: 'spnKey',
  };
  im._vault.storeSecret(
    `ENDPOINT_AUTH_${id}`,
    JSON.stringify({ scheme: 'ServicePrincipal', parameters }),
  );
  im._vault.storeSecret(`ENDPOINT_AUTH_SCHEME_${id}`, 'ServicePrincipal');
  for (const [k, v] of Object.entries(parameters))
    im._vault.storeSecret(`ENDPOINT_AUTH_PARAMETER_${id}_${k.toUpperCase()}`, v);
}

function deps(connectionId: string): ConnectDeps {
  return {
    connectionId,
    acrName: 'contosoacr',
    resourceGroup: undefined,
    retries: 2,
    importTimeoutMs: 60_000,
    agent: { authParameters: { serviceprincipalkey: KEY }, jobAccessToken: () => undefined },
    transport: {} as Transport, // never used: each case ends before a request
  };
}

function context(signal = new AbortController().signal): RunContext<RecordingReporter> {
  const clock = new FakeClock();
  return { out: new RecordingReporter(), signal, clock, gate: new ThrottleGate(clock) };
}

/** Runs `f` with stdout held back (task-lib's debug and result lines), restoring the exit code. */
async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const write = process.stdout.write.bind(process.stdout);
  const exitCode = process.exitCode;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await f();
  } finally {
    process.stdout.write = write;
    process.exitCode = exitCode;
  }
}

describe('steps/connect: the service connection', () => {
  const env = { ...process.env };
  // azure-arm-rest reads the agent's temp folder when it loads
  before(() => (process.env.AGENT_TEMPDIRECTORY ??= os.tmpdir()));
  after(() => {
    for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  });

  it('a connection not scoped to a subscription: refused naming it and the kind to use, its key masked', async () => {
    agentConnection('conn-unscoped', {});
    const ctx = context();
    await assert.rejects(
      quietly(() => connect(deps('conn-unscoped'), ctx)),
      {
        message:
          'The service connection conn-unscoped is not scoped to a subscription; use a subscription-level Azure Resource Manager connection.',
      },
    );
    assert.deepEqual(ctx.out.secrets, [KEY]);
    assert.deepEqual(ctx.out.lines, [], 'no registry was named');
    assert.equal(
      ctx.out.failure,
      undefined,
      'the error boundary (index.ts) fails the task with it',
    );
  });

  it('a connection the agent does not have: the token failure explained, with what to check', async () => {
    const ctx = context();
    await assert.rejects(
      quietly(() => connect(deps('conn-absent'), ctx)),
      (err: Error) => {
        assert.match(err.message, /^The service connection gave no Azure token: .*conn-absent/);
        assert.match(
          err.message,
          /Check the Azure service connection \(secret or certificate expired\?/,
        );
        return true;
      },
    );
  });

  it('canceled while connecting: the run fails as canceled, nothing imported, no error thrown', async () => {
    agentConnection('conn-canceled', {});
    const abort = new AbortController();
    abort.abort();
    const ctx = context(abort.signal);
    assert.equal(await quietly(() => connect(deps('conn-canceled'), ctx)), undefined);
    assert.equal(
      ctx.out.failure,
      'The run was canceled while connecting to Azure; nothing was imported.',
    );
  });
});

describe('steps/connect: the registry reads, retried', () => {
  /** An ARM SDK error, as @azure/core-rest-pipeline throws it. */
  function armError(statusCode: number, message: string, retryAfter?: string): Error {
    return Object.assign(new Error(message), {
      statusCode,
      response: { headers: { get: (n: string) => (n === 'retry-after' ? retryAfter : undefined) } },
    });
  }

  it('throttled, then failing, then read: each wait said, with its cause', async () => {
    const ctx = context();
    const answers: (Error | string)[] = [
      armError(429, 'Too many requests', '7'),
      armError(503, 'Service unavailable'),
      'the registry',
    ];
    const retry = armReadRetry({ retries: 2, importTimeoutMs: 600_000 }, ctx);
    const read = async (): Promise<string> => {
      const a = answers.shift();
      if (a instanceof Error) throw a;
      return a ?? 'no more answers';
    };
    assert.equal(await (ctx.clock as FakeClock).run(retry(read)), 'the registry');
    assert.equal(ctx.out.lines.length, 2, ctx.out.lines.join('\n'));
    assert.equal(
      ctx.out.lines[0],
      'reading the registry failed: Too many requests; ARM is throttling: every request waits 7.0 s (Retry-After)',
    );
    assert.match(
      ctx.out.lines[1] ?? '',
      /^reading the registry failed: Service unavailable; retrying in \d+(\.\d)? m?s$/,
    );
  });

  it("a refusal is not retried: it fails at once, with ARM's status", async () => {
    const ctx = context();
    let reads = 0;
    const retry = armReadRetry({ retries: 2, importTimeoutMs: 600_000 }, ctx);
    const refused = async (): Promise<never> => {
      reads++;
      throw armError(403, 'The client has no authorization to perform action read');
    };
    await assert.rejects((ctx.clock as FakeClock).run(retry(refused)), /no authorization/);
    assert.equal(reads, 1);
    assert.deepEqual(ctx.out.lines, []);
  });
});
