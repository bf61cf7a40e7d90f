// Wiring only: inputs -> parse -> plan -> check -> import -> report.
import * as tl from 'azure-pipelines-task-lib/task';

export async function run(): Promise<void> {
  const connection = tl.getInput('azureSubscription', true) as string;
  tl.getInput('acrName', true);
  // Loaded lazily: azure-arm-endpoint needs Agent.TempDirectory at require time.
  const { AzureRMEndpoint } =
    await import('azure-pipelines-tasks-azure-arm-rest/azure-arm-endpoint');
  await new AzureRMEndpoint(connection).getEndpoint();
  tl.setResult(tl.TaskResult.Failed, 'not implemented yet');
}
