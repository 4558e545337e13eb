/** The MQTT 5 worker pool: the job protocol, a worker, a requester. No Node-RED in here. */
export * from './protocol';
export { checkBrokerUrl, defaultWorkerClientId, mqttOptions, readCaFile, type BrokerOptions } from './broker';
export { PoolWorker, type PoolWorkerOptions } from './worker';
export { PoolRequester, PoolJobError, type PoolRequesterOptions, type PoolResult, type SubmitOptions } from './requester';
export { separateJobOn, type JobHandler, type JobLimits } from './separate-job';
