import { TaskEnding, type WorkflowRun } from './workflow-run.js';

/**
 * One step of the workflow: a named function from the previous step's output to its own.
 * Answering a {@link TaskEnding} ends the task there (no later step runs).
 */
export interface WorkflowStep<Input, Output> {
  readonly name: string;
  run(run: WorkflowRun, input: Input): Promise<Output | TaskEnding>;
}

/**
 * The steps in order, typed so that each step's input is the previous step's output. `run`
 * checks for cancellation and timeout before every step.
 *
 * @example
 * const steps = StepList.first(prepareWorkspace).next(surveyRepository).next(planChange);
 * const ending = await steps.run(run, undefined);
 */
export class StepList<Input, Output> {
  private constructor(private readonly steps: readonly WorkflowStep<unknown, unknown>[]) {}

  static first<Input, Output>(step: WorkflowStep<Input, Output>): StepList<Input, Output> {
    return new StepList([step as WorkflowStep<unknown, unknown>]);
  }

  next<Next>(step: WorkflowStep<Output, Next>): StepList<Input, Next> {
    return new StepList([...this.steps, step as WorkflowStep<unknown, unknown>]);
  }

  /** The step names, in order. */
  get names(): string[] {
    return this.steps.map((step) => step.name);
  }

  async run(run: WorkflowRun, input: Input): Promise<Output | TaskEnding> {
    let value: unknown = input;
    for (const step of this.steps) {
      run.signal.throwIfAborted();
      value = await step.run(run, value);
      if (value instanceof TaskEnding) return value;
    }
    return value as Output;
  }
}
