// Runs the task (unbundled tsc output) under task-lib's TaskMockRunner with the real task-lib.
// Inputs come from the test through TEST_INPUT_<NAME> variables. azure-arm-rest's endpoint
// module is replaced by a mock that records any use, so a test can prove no Azure call happened.
import * as path from 'path';
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';

const taskPath = path.resolve(__dirname, '../../../tasks/ImportPublicImages/src/index.js');
const tmr = new TaskMockRunner(taskPath);

for (const [key, value] of Object.entries(process.env)) {
  if (key.startsWith('TEST_INPUT_') && value !== undefined) {
    tmr.setInput(key.slice('TEST_INPUT_'.length), value);
  }
}

class AzureRMEndpoint {
  constructor(connection: string) {
    console.log(`MOCK_AZURE_ENDPOINT_USED ${connection}`);
  }
  getEndpoint(): Promise<never> {
    console.log('MOCK_AZURE_ENDPOINT_USED getEndpoint');
    return Promise.reject(new Error('the mocked Azure endpoint refuses to authenticate'));
  }
}
tmr.registerMock('azure-pipelines-tasks-azure-arm-rest/azure-arm-endpoint', { AzureRMEndpoint });

tmr.run(true);
