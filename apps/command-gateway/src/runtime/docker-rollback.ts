import type Docker from 'dockerode';

/** What a rollback did: from which image to which, the new container, and the equivalent docker command lines. */
export interface RollbackResult {
  target: string;
  from_image: string;
  to_image: string;
  container_id: string;
  commands: string[];
}

/** Host settings carried over to the recreated container (everything a `docker run` of it set). */
const HOST_CONFIG_FIELDS = [
  'Binds', 'PortBindings', 'NetworkMode', 'RestartPolicy', 'Init', 'Memory', 'MemorySwap', 'NanoCpus', 'CpuShares', 'CpuQuota',
  'CpuPeriod', 'ExtraHosts', 'Dns', 'CapAdd', 'CapDrop', 'Privileged', 'ReadonlyRootfs', 'Tmpfs', 'Ulimits', 'SecurityOpt', 'ShmSize',
] as const;

const equalLists = (left: unknown, right: unknown) => JSON.stringify(left ?? null) === JSON.stringify(right ?? null);

/**
 * The create body that gives `image` the container's own configuration: its name, the
 * environment, command, labels and working directory the container set beyond what its current
 * image defaults to (the older image brings its own defaults), and its host settings (ports,
 * mounts, network, restart policy, limits).
 */
export function recreateBody(info: Docker.ContainerInspectInfo, currentImage: Docker.ImageInspectInfo | undefined, image: string): Docker.ContainerCreateOptions {
  const config = info.Config;
  const defaults = currentImage?.Config;
  const imageEnv = new Set(defaults?.Env ?? []);
  const imageLabels = defaults?.Labels ?? {};
  const labels = Object.fromEntries(Object.entries(config.Labels ?? {}).filter(([key, value]) => imageLabels[key] !== value));
  const hostConfig = Object.fromEntries(
    HOST_CONFIG_FIELDS.filter((field) => info.HostConfig[field as keyof Docker.HostConfig] !== undefined).map((field) => [field, info.HostConfig[field as keyof Docker.HostConfig]]),
  );
  // Podman reports ulimits as RLIMIT_NOFILE but accepts only the short name (nofile).
  if (Array.isArray(hostConfig.Ulimits)) {
    hostConfig.Ulimits = (hostConfig.Ulimits as { Name: string; Soft: number; Hard: number }[]).map((limit) => ({ ...limit, Name: limit.Name.replace(/^RLIMIT_/, '').toLowerCase() }));
  }
  return {
    name: info.Name.replace(/^\//, ''),
    Image: image,
    Env: (config.Env ?? []).filter((entry) => !imageEnv.has(entry)),
    Labels: labels,
    ...(config.Cmd && !equalLists(config.Cmd, defaults?.Cmd) ? { Cmd: config.Cmd } : {}),
    ...(config.Entrypoint && !equalLists(config.Entrypoint, defaults?.Entrypoint) ? { Entrypoint: config.Entrypoint as string[] } : {}),
    ...(config.WorkingDir && config.WorkingDir !== defaults?.WorkingDir ? { WorkingDir: config.WorkingDir } : {}),
    ...(config.User && config.User !== defaults?.User ? { User: config.User } : {}),
    ...(config.ExposedPorts ? { ExposedPorts: config.ExposedPorts } : {}),
    ...((config as { StopTimeout?: number }).StopTimeout !== undefined ? { StopTimeout: (config as { StopTimeout?: number }).StopTimeout } : {}),
    Tty: config.Tty === true,
    HostConfig: hostConfig as Docker.HostConfig,
  };
}

/** The `docker` command lines equivalent to a rollback, for humans (environment values are not shown). */
export function rollbackCommands(body: Docker.ContainerCreateOptions, backup: string): string[] {
  const name = body.name ?? '?';
  const flags: string[] = ['--detach', `--name ${name}`];
  const host = body.HostConfig ?? {};
  if (host.NetworkMode && host.NetworkMode !== 'default' && host.NetworkMode !== 'bridge') flags.push(`--network ${host.NetworkMode}`);
  for (const [port, bindings] of Object.entries(host.PortBindings ?? {})) {
    for (const binding of (bindings as { HostIp?: string; HostPort?: string }[]) ?? []) {
      flags.push(`--publish ${binding.HostIp ? `${binding.HostIp}:` : ''}${binding.HostPort ?? ''}:${port.replace('/tcp', '')}`);
    }
  }
  for (const bind of host.Binds ?? []) flags.push(`--volume ${bind}`);
  for (const entry of body.Env ?? []) flags.push(`--env ${entry.split('=')[0]}=…`);
  for (const [key, value] of Object.entries(body.Labels ?? {})) flags.push(`--label ${key}=${value}`);
  if (host.RestartPolicy?.Name && host.RestartPolicy.Name !== 'no') flags.push(`--restart ${host.RestartPolicy.Name}`);
  const command = [...((body.Entrypoint as string[] | undefined) ? ['--entrypoint', String((body.Entrypoint as string[])[0])] : [])];
  return [
    `docker stop ${name}`,
    `docker rename ${name} ${backup}`,
    `docker run ${[...flags, ...command].join(' ')} ${body.Image}${body.Cmd ? ` ${(body.Cmd as string[]).join(' ')}` : ''}`,
    `docker rm ${backup}`,
  ];
}

/**
 * Recreates `container` from `image` with the same configuration: stop it, rename it aside,
 * create and start the new one under the old name, then remove the old one. If creating or
 * starting fails, the new container is removed and the old one renamed back and started again:
 * the target is left as it was.
 */
export async function recreateFromImage(
  docker: Docker,
  named: Docker.Container,
  image: string,
  options: { signal?: AbortSignal; timeoutSeconds?: number },
): Promise<RollbackResult> {
  const info = await named.inspect();
  // By id from here on: the name moves to the new container.
  const container = docker.getContainer(info.Id);
  const currentImage = await docker.getImage(info.Image).inspect().catch(() => undefined);
  const body = recreateBody(info, currentImage, image);
  const name = body.name!;
  const backup = `${name}-rollback-${Date.now().toString(36)}`;
  const wasRunning = info.State.Running;
  await container.stop({ t: options.timeoutSeconds ?? 10 }).catch((error: { statusCode?: number }) => {
    if (error.statusCode !== 304) throw error;
  });
  await container.rename({ name: backup });
  let created: Docker.Container | undefined;
  try {
    created = await docker.createContainer(body);
    await created.start();
  } catch (error) {
    await created?.remove({ force: true }).catch(() => {});
    await container.rename({ name });
    if (wasRunning) await container.start().catch(() => {});
    throw error;
  }
  await container.remove({ force: true });
  return { target: name, from_image: info.Config.Image, to_image: image, container_id: created.id, commands: rollbackCommands(body, backup) };
}
