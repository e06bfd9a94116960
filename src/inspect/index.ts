/**
 * Inspecting a running Kiq: attach an observer late with the actors that
 * already exist re-announced (`attachInspector`, behind `kiq.inspect`), and
 * record inspection events as JSON lines without any dependency
 * (`createJsonlRecorder`).
 */
export { attachInspector, liveActors } from './attach.js';
export { createJsonlRecorder, inspectionRecord, type JsonlRecorder, type JsonlRecorderOptions, type JsonlSink } from './jsonl.js';
export { toPlain, type PlainLimits } from './plain.js';
