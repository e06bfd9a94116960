/** Lifecycle state of a Kiq instance (`kiq.state`). */
export type KiqState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';
