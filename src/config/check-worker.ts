// The worker-thread half of checkOffThread (check-off-thread.ts): runs the
// loader's check on one folder and posts the outcome back, packed. It lives
// for one check, so its memory goes back as soon as the check is done.

import { parentPort, workerData } from 'node:worker_threads';
import { packOutcome, type CheckRequest } from './check-off-thread.ts';
import { checkConfig } from './load.ts';

const { dir, options } = workerData as CheckRequest;
const { message, transfer } = packOutcome(await checkConfig(dir, options));
parentPort!.postMessage(message, transfer);
