import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

export interface ScopeGroup {
  readonly scope: InstrumentationScope;
  readonly spans: ReadableSpan[];
}

export interface ResourceGroup {
  readonly resource: Resource;
  readonly scopes: ScopeGroup[];
}

/**
 * Spans grouped by resource, then by instrumentation scope, in first-seen order.
 * Both are matched by object identity: the SDK hands every span of a provider the same
 * resource and every span of a tracer the same scope object, and decoded spans share
 * theirs per ResourceSpans/ScopeSpans, so identity rebuilds the original structure.
 * Consecutive spans usually share both, which skips the map lookups.
 */
export function groupSpans(spans: readonly ReadableSpan[]): ResourceGroup[] {
  const groups: ResourceGroup[] = [];
  const byResource = new Map<Resource, { group: ResourceGroup; byScope: Map<InstrumentationScope, ScopeGroup> }>();
  let lastResource: Resource | undefined;
  let lastScope: InstrumentationScope | undefined;
  let lastGroup: ScopeGroup | undefined;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    const resource = span.resource;
    const scope = span.instrumentationScope;
    if (resource === lastResource && scope === lastScope) {
      lastGroup!.spans.push(span);
      continue;
    }
    let entry = byResource.get(resource);
    if (entry === undefined) {
      entry = { group: { resource, scopes: [] }, byScope: new Map() };
      byResource.set(resource, entry);
      groups.push(entry.group);
    }
    let group = entry.byScope.get(scope);
    if (group === undefined) {
      group = { scope, spans: [] };
      entry.byScope.set(scope, group);
      entry.group.scopes.push(group);
    }
    group.spans.push(span);
    lastResource = resource;
    lastScope = scope;
    lastGroup = group;
  }
  return groups;
}
