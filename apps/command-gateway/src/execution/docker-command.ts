import type { ValidatedPlan } from '../policy/validate-plan.js';

/**
 * The `docker …` command line equivalent to a plan, for humans reading responses and the audit
 * log. It is display text only: the gateway calls the Engine API and never executes it. Every
 * name in it already passed the strict name check, so it needs no quoting.
 */
export function dockerCommandFor(plan: ValidatedPlan): string {
  switch (plan.operation) {
    case 'restart':
      return `docker restart ${plan.target}`;
    case 'start':
      return `docker start ${plan.target}`;
    case 'stop':
      return `docker stop ${plan.target}`;
    case 'logs':
      return `docker logs --tail ${plan.params.tail ?? 100} ${plan.target}`;
    case 'inspect':
      return `docker inspect ${plan.target}`;
    case 'stats':
      return `docker stats --no-stream ${plan.target}`;
    case 'list':
      return 'docker ps --all';
    case 'rollback':
      // The exact lines (image, ports, mounts) are in the result; this is their shape.
      return `docker stop ${plan.target} && docker rename ${plan.target} ${plan.target}-rollback && docker run --detach --name ${plan.target} <same configuration> <previous image> && docker rm ${plan.target}-rollback`;
  }
}
