/** The VbenchError a call or a promise fails with; anything else (or no failure) fails the test. */
import { VbenchError } from "../../src/base/errors.ts";

export async function rejection(p: Promise<unknown>): Promise<VbenchError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof VbenchError) return e;
    throw e;
  }
  throw new Error("expected a VbenchError");
}

export function thrown(fn: () => unknown): VbenchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof VbenchError) return e;
    throw e;
  }
  throw new Error("expected a VbenchError");
}
