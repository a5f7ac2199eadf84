// Setup of the mutation runs only (vitest.stryker.config.mts): a property that fails stops at its first
// counterexample instead of shrinking it (hundreds of reruns). A mutant is killed either way; nothing else changes.
import fc from 'fast-check';

fc.configureGlobal({ ...fc.readConfigureGlobal(), endOnFailure: true });
