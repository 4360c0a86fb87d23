/** The VbenchError a promise rejects with; anything else (or no rejection) fails the test. */
import { VbenchError } from "../../src/core/errors.ts";

export async function rejection(p: Promise<unknown>): Promise<VbenchError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof VbenchError) return e;
    throw e;
  }
  throw new Error("expected a VbenchError");
}
