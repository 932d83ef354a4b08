import { ClassElementMetadataKind, getClassMetadata, InversifyCoreError, InversifyCoreErrorKind } from '@inversifyjs/core';
import { injectable, type Container } from 'inversify';
import type { Constructor } from '../decorators/decorator-metadata';

/** Makes a class buildable by the container: applies `@injectable()` unless the class already has it. */
export function ensureInjectable(type: Constructor): void {
  try {
    injectable()(type as never);
  } catch (error) {
    if (!InversifyCoreError.isErrorOfKind(error, InversifyCoreErrorKind.injectionDecoratorConflict)) throw error;
  }
}

/**
 * Binds a class to itself unless the container already knows it: workflows in transient scope
 * (a new instance per run), pipelines as singletons.
 */
export function bindClass(container: Container, type: Constructor, scope: 'transient' | 'singleton'): void {
  ensureInjectable(type);
  if (container.isBound(type)) return;
  const binding = container.bind(type).toSelf();
  if (scope === 'singleton') binding.inSingletonScope();
  else binding.inTransientScope();
}

function describeToken(token: unknown): string {
  if (typeof token === 'function') return token.name || '(anonymous class)';
  if (typeof token === 'symbol') return token.toString();
  return JSON.stringify(token) ?? String(token);
}

/**
 * Every constructor argument of `type` the container cannot provide, as sentences naming the class
 * and the argument (checked at start-up, so a missing binding never waits for the first run).
 */
export function missingDependencies(container: Container, type: Constructor, role: string): string[] {
  let metadata: ReturnType<typeof getClassMetadata>;
  try {
    metadata = getClassMetadata(type as never);
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    return [`${role} ${type.name}: ${message} Add @inject(TOKEN) to each constructor argument.`];
  }
  const problems: string[] = [];
  metadata.constructorArguments.forEach((argument, index) => {
    if (argument.kind === ClassElementMetadataKind.unmanaged) return;
    const position = `constructor argument #${index + 1}`;
    const token = argument.value as unknown;
    if (token === undefined || token === Object) {
      problems.push(`${role} ${type.name}: ${position} has no type the container can resolve (an interface or a type-only import?); add @inject(TOKEN)`);
      return;
    }
    if (argument.optional || container.isBound(token as never)) return;
    problems.push(`${role} ${type.name}: ${position} (${describeToken(token)}) is not bound in the container; ` + `bind it (container.bind(${describeToken(token)})…) or pass a container that has it`);
  });
  return problems;
}
