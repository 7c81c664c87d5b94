/** What the service (`src/`) uses of the projections; it imports nothing else from this folder. */
export { MESSAGE_COLUMNS, messageJsonSql, type MessageRow, toMessage } from './messages/message-row.js';
export { ProjectionsModule } from './nest/projections.module.js';
export { ProjectionsService, type RebuildRequested } from './nest/projections.service.js';
export { PROJECTED_CHANNEL } from './projector/generations.js';
export { type ProjectionHealth, type ProjectionStatus } from './projector/status.js';
export { type ProjectionMetrics } from './projector/metrics.js';
export { PROJECTOR_MIGRATIONS } from './registry.js';
export { eraseFromReadModels, type ReadModelErasure } from './projector/erase.js';
