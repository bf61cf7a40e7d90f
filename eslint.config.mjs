import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const TASKLIB =
  'task-lib is the platform: only ado/ imports it (steps get a core/results/reporter.ts Reporter).';
const OUTPUT =
  'ado/output.ts is the one door to the log: it neutralises its text (core/results/safeText.ts).';
const LOGGING = ['warning', 'error', 'debug', 'logIssue', 'setResult', 'command', 'logDetail'];
const PURE =
  'core/ is pure: no task-lib, Azure SDK, file system or network (pass I/O in as parameters).';

export default tseslint.config(
  { ignores: ['node_modules/', 'build/', 'out/', 'tasks/*/dist/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['scripts/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // The layers (README, docs): task-lib only under ado/; core/ pure.
  {
    files: ['tasks/*/src/core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['azure-pipelines-task-lib', 'azure-pipelines-task-lib/*'], message: TASKLIB },
            { group: ['azure-pipelines-tasks-*', '@azure/*', '@azure-rest/*'], message: PURE },
            { group: ['fs', 'node:fs', 'fs/*', 'node:fs/*'], message: PURE },
            { group: ['http', 'https', 'net', 'tls', 'dns', 'undici'], message: PURE },
            {
              group: ['node:http', 'node:https', 'node:net', 'node:tls', 'node:dns'],
              message: PURE,
            },
            { group: ['child_process', 'node:child_process'], message: PURE },
            // From core/<flow>/ (and core/<flow>/<part>/): the layers are one or two levels up.
            {
              group: ['ado', 'azure', 'registry', 'steps', 'transport'].flatMap((layer) => [
                `../../${layer}/*`,
                `../../../${layer}/*`,
              ]),
              message: PURE,
            },
            { group: ['http-proxy-agent', 'https-proxy-agent'], message: PURE },
          ],
        },
      ],
    },
  },
  {
    files: [
      'tasks/*/src/registry/**/*.ts',
      'tasks/*/src/azure/**/*.ts',
      'tasks/*/src/steps/**/*.ts',
      'tasks/*/src/transport/**/*.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['azure-pipelines-task-lib', 'azure-pipelines-task-lib/*'], message: TASKLIB },
            { group: ['../ado/*'], message: TASKLIB },
          ],
        },
      ],
    },
  },
  {
    files: ['tasks/*/src/steps/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['./*'],
              message: 'A step does not import another step: share through core/.',
            },
          ],
        },
      ],
    },
  },
  // One output door: only ado/output.ts writes to stdout or calls task-lib's logging commands.
  {
    files: ['tasks/*/src/**/*.ts'],
    ignores: ['tasks/*/src/ado/output.ts'],
    rules: {
      'no-console': ['error'],
      'no-restricted-properties': [
        'error',
        ...LOGGING.map((property) => ({ object: 'tl', property, message: OUTPUT })),
        { object: 'process', property: 'stdout', message: OUTPUT },
      ],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
);
