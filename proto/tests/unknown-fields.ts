/**
 * Lists every unknown field left after decoding, at any depth: a field libxmtp wrote that our
 * schema does not know (or knows with another wire type) shows up here instead of being lost.
 */
import type { DescMessage, Message } from '@bufbuild/protobuf';

export function unknownFields(desc: DescMessage, message: Message, path = desc.name): string[] {
  const m = message as Message & { $unknown?: { no: number }[] } & Record<string, unknown>;
  const out = (m.$unknown ?? []).map((u) => `${path}: unknown field ${u.no}`);
  for (const field of desc.fields) {
    let value: unknown;
    if (field.oneof) {
      const sel = m[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
      value = sel?.case === field.localName ? sel.value : undefined;
    } else {
      value = m[field.localName];
    }
    if (value === undefined) continue;
    const at = `${path}.${field.localName}`;
    if (field.fieldKind === 'message') out.push(...unknownFields(field.message, value as Message, at));
    if (field.fieldKind === 'list' && field.listKind === 'message') {
      (value as Message[]).forEach((v, i) => out.push(...unknownFields(field.message, v, `${at}[${i}]`)));
    }
    if (field.fieldKind === 'map' && field.mapKind === 'message') {
      for (const [k, v] of Object.entries(value as Record<string, Message>)) out.push(...unknownFields(field.message, v, `${at}[${k}]`));
    }
  }
  return out;
}
