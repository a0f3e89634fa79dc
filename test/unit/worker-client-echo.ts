/** Worker-thread entry for worker-client.test.ts: echoes a request, never answers "wait", and stops on "exit". */
import { answerRequests } from '../../src-main/worker-client.js';

answerRequests<string>((request) => {
  if (request === 'exit') process.exit(3);
  if (request === 'wait') return new Promise(() => {});
  return request;
});
