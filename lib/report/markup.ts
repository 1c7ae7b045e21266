/**
 * Escaping by construction for the report page: every value interpolated into an `html`
 * template is escaped as text unless it is already `Markup` (made by `html` or `raw`), so a key
 * like `<script>` can only ever render as text. Attribute values must always be quoted in the
 * templates; the escape covers `"` and `'`, so quoted attributes are safe too.
 */

/** A fragment of HTML that is safe to insert as is. */
export class Markup {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text → HTML text or quoted-attribute content. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

export type Interpolation =
  | Markup
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Markup) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: literal parts are trusted markup, interpolations are escaped (arrays joined). */
export function html(strings: TemplateStringsArray, ...values: readonly Interpolation[]): Markup {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Markup(out);
}

/** Trusted markup produced by the renderer itself (CSS, numbers it formatted); never user data. */
export function raw(trusted: string): Markup {
  return new Markup(trusted);
}
