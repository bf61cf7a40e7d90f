// acrName and resourceGroup as the user writes them (core/list/acrName.ts): checked before any
// request.
import assert from 'node:assert/strict';
import {
  parseAcrInput,
  resourceGroupProblem,
} from '../../tasks/ImportPublicImages/src/core/list/acrName';

describe('core/list/acrName: acrName', () => {
  const ok: [string, { name: string; loginServer?: string }][] = [
    ['contosoacr', { name: 'contosoacr' }],
    ['ContosoACR', { name: 'contosoacr' }],
    ['contosoacr.azurecr.io', { name: 'contosoacr', loginServer: 'contosoacr.azurecr.io' }],
    [
      'https://contosoacr.azurecr.us/',
      { name: 'contosoacr', loginServer: 'contosoacr.azurecr.us' },
    ],
    // syntactically a login server; resolveRegistry then requires ARM's loginServer to be exactly this
    ['contosoacr.evil.example', { name: 'contosoacr', loginServer: 'contosoacr.evil.example' }],
  ];
  for (const [input, expected] of ok)
    it(`accepts ${input}`, () => assert.deepEqual(parseAcrInput(input), expected));

  const refused = [
    'acr', // shorter than 5
    'contoso-acr', // hyphen: not an ACR name
    'contosoacr.azurecr.io:443',
    'contosoacr.azurecr.io/path',
    'http://contosoacr.azurecr.io',
    'user@contosoacr.azurecr.io',
    'contoso-acr.azurecr.io',
    '../contosoacr',
    'contosoacr..azurecr.io',
  ];
  for (const input of refused)
    it(`refuses ${input}, naming the input and what to write`, () =>
      assert.throws(
        () => parseAcrInput(input),
        (e: Error) =>
          e.message.includes(`acrName "${input}"`) && /contosoacr\.azurecr\.io\)/.test(e.message),
      ));
});

describe('core/list/acrName: resourceGroup', () => {
  for (const ok of ['rg-aks', 'RG_Shared.1', 'rg(prod)', 'ressourcengruppe-ü', 'a'])
    it(`accepts ${ok}`, () => assert.equal(resourceGroupProblem(ok), undefined));
  for (const bad of ['..', '.', 'rg.', 'rg/../other', 'rg?x=1', 'a'.repeat(91), 'rg aks', 'rg%2F'])
    it(`refuses ${JSON.stringify(bad)}`, () =>
      assert.match(
        resourceGroupProblem(bad) ?? '',
        /^Input resourceGroup ".*" is not a resource group name/,
      ));
});
