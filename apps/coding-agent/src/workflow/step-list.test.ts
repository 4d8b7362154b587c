import { describe, expect, it } from 'vitest';
import { STEP_NAMES } from '../tasks/task.js';
import { StepList, type WorkflowStep } from './step-list.js';
import { WORKFLOW_STEPS } from './workflow.js';
import { TaskEnding, type WorkflowRun } from './workflow-run.js';

/** StepList reads only the run's signal; the rest of a run is not needed here. */
function runWith(signal: AbortSignal): WorkflowRun {
  return { signal } as WorkflowRun;
}

function step<Input, Output>(name: string, seen: string[], body: (input: Input) => Output | TaskEnding): WorkflowStep<Input, Output> {
  return {
    name,
    async run(_run, input) {
      seen.push(name);
      return body(input);
    },
  };
}

describe('StepList', () => {
  it("feeds each step's output to the next, in order", async () => {
    const seen: string[] = [];
    const steps = StepList.first(step('count', seen, (text: string) => text.length))
      .next(step('double', seen, (count: number) => count * 2))
      .next(step('describe', seen, (count: number) => `${count} characters, doubled`));
    expect(await steps.run(runWith(new AbortController().signal), 'abcd')).toBe('8 characters, doubled');
    expect(seen).toEqual(['count', 'double', 'describe']);
    expect(steps.names).toEqual(['count', 'double', 'describe']);
  });

  it('stops at a step that ends the task: no later step runs', async () => {
    const seen: string[] = [];
    const steps = StepList.first(step('look', seen, () => new TaskEnding('no_change_needed', 'already right'))).next(
      step('change', seen, () => 'changed'),
    );
    expect(await steps.run(runWith(new AbortController().signal), undefined)).toEqual(new TaskEnding('no_change_needed', 'already right'));
    expect(seen).toEqual(['look']);
  });

  it('checks for cancellation before every step', async () => {
    const seen: string[] = [];
    const controller = new AbortController();
    const steps = StepList.first(
      step('first', seen, () => {
        controller.abort(new Error('cancelled'));
        return 1;
      }),
    ).next(step('second', seen, () => 2));
    await expect(steps.run(runWith(controller.signal), undefined)).rejects.toThrow('cancelled');
    expect(seen).toEqual(['first']);
  });
});

describe('WORKFLOW_STEPS', () => {
  it('runs every recorded step, in the order the task record lists them', () => {
    const recorded = WORKFLOW_STEPS.names.filter((name) => (STEP_NAMES as readonly string[]).includes(name));
    expect(recorded).toEqual([...STEP_NAMES]);
    expect(WORKFLOW_STEPS.names).toEqual(['workspace', 'survey', 'plan', 'install', 'baseline', 'implement', 'security', 'commit', 'push', 'pull_request']);
  });
});
