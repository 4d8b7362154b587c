import type { RuntimeEvidence } from '@atb/contracts';

type Json = Record<string, unknown>;
const record = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});
const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const integer = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) ? value : undefined);

/**
 * The runtime's view of a container from an inspect document: the gateway's answer
 * (`state`, `exit_code`, `oom_killed`, `image`, `image_history`) or the Engine API's raw one
 * (`State.Status`, `State.ExitCode`, `State.OOMKilled`, `Config.Image`). Unknown shapes give `undefined`.
 */
export function runtimeView(inspect: unknown): RuntimeEvidence | undefined {
  const document = record(inspect);
  const engineState = record(document.State);
  const state = text(document.state) ?? text(engineState.Status);
  if (!state) return undefined;
  const running = typeof engineState.Running === 'boolean' ? engineState.Running : state === 'running';
  const exitCode = integer(document.exit_code) ?? integer(engineState.ExitCode);
  const oomKilled = typeof document.oom_killed === 'boolean' ? document.oom_killed : engineState.OOMKilled;
  const history = Array.isArray(document.image_history) ? document.image_history.map(record) : [];
  const current = history.at(-1);
  const previous = history.at(-2);
  const view: RuntimeEvidence = { state, running };
  if (exitCode !== undefined && !running) view.exit_code = exitCode;
  if (typeof oomKilled === 'boolean') view.oom_killed = oomKilled;
  const restarts = integer(document.restart_count) ?? integer(document.RestartCount);
  if (restarts !== undefined) view.restart_count = restarts;
  const startedAt = text(document.started_at) ?? text(engineState.StartedAt);
  if (startedAt) view.started_at = startedAt;
  const image = text(document.image) ?? text(record(document.Config).Image);
  if (image) view.image = image;
  const changedAt = text(current?.first_seen_at) ?? text(document.image_changed_at);
  if (changedAt && previous) view.image_changed_at = changedAt;
  const previousImage = text(previous?.image) ?? text(document.previous_image);
  if (previousImage) view.previous_image = previousImage;
  return view;
}
