export * from './app.js';
export { CRASH_EXIT_CODE, FAULT_NAMES, type FaultName, type FaultReport } from './chaos/fault-injector.js';
export * from './config.js';
export { type Direction, MODEL_NAME, type Prediction, type PredictionOptions, predictPrice } from './prediction/predict.js';
export { type PredictionRecord, predictRequestSchema, predictionSchema, SYMBOL_PATTERN } from './routes/predict-routes.js';
