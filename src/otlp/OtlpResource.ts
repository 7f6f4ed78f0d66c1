import type { Attributes } from '@opentelemetry/api';
import type { RawResourceAttribute, Resource } from '@opentelemetry/resources';

/**
 * A resource decoded from OTLP. Shaped like an SDK Resource (attributes, schemaUrl,
 * merge, getRawAttributes) so exporters take it as they are; it also keeps the
 * `droppedAttributesCount` the SDK's Resource has no room for, which the encoders send.
 */
export class OtlpResource implements Resource {
  readonly asyncAttributesPending = false;

  constructor(
    readonly attributes: Attributes,
    readonly schemaUrl: string | undefined = undefined,
    readonly droppedAttributesCount = 0,
  ) {}

  merge(other: Resource | null): Resource {
    if (!other) return this;
    return new OtlpResource(
      { ...this.attributes, ...other.attributes },
      other.schemaUrl || this.schemaUrl,
      this.droppedAttributesCount,
    );
  }

  getRawAttributes(): RawResourceAttribute[] {
    return Object.entries(this.attributes);
  }
}
