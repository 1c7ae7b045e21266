/** One contact-sheet tile: an image's thumbnail over its placeholder, its name and facts. */
import type { ReportImage } from './data.ts';
import { formatBytes, formatCount } from './format.ts';
import { placeholderImage, safeColour, safeThumbnail } from './images.ts';
import { html, type Markup } from './markup.ts';
import { tileName } from './names.ts';

export function dimensions(w: number | undefined, h: number | undefined): string | undefined {
  return w !== undefined && h !== undefined ? `${formatCount(w)} × ${formatCount(h)}` : undefined;
}

/** `extra`: a line of markup under the facts (the duplicates section's distance). */
export function renderTile(image: ReportImage, folder: string, extra?: Markup): Markup {
  const thumbnail = safeThumbnail(image.thumbnail);
  const placeholder = placeholderImage(image.placeholder);
  const colour = safeColour(image.dominantColour);
  const status = String(image.status);
  const badge = html`<span class="badge status-${status}">${status}</span>`;
  // The ThumbHash is the frame's background: the tile looks right before (or without) the thumbnail.
  const frameStyle = placeholder ? html` style="background-image:url(${placeholder})"` : '';
  const frameClass = [
    'frame',
    placeholder ? 'has-placeholder' : '',
    thumbnail || placeholder ? '' : 'no-image',
  ]
    .filter(Boolean)
    .join(' ');
  const standIn = thumbnail
    ? html`<img src="${thumbnail}" alt="Thumbnail of ${image.key}" decoding="async">`
    : html`<p class="stand-in">${badge}${image.reason ? reasonOf(image) : ''}${
        status === 'DONE' ? html`<span class="muted">no thumbnail in this report</span>` : ''
      }</p>`;
  const facts = [dimensions(image.width, image.height), image.format, formatBytesOrNot(image.bytes)]
    .filter((f): f is string => Boolean(f))
    .join(' · ');
  return html`<li class="tile" data-status="${status}"><figure><div class="${frameClass}"${frameStyle}>${standIn}</div><figcaption><span class="key" title="${image.key}">${tileName(image.key, folder)}</span>${
    facts ? html`<span class="line">${facts}</span>` : ''
  }<span class="line">${thumbnail ? badge : ''}${
    colour
      ? html`<span class="swatch" style="background-color:${colour}" aria-hidden="true"></span><span class="mono" title="Dominant colour">${colour}</span>`
      : ''
  }${thumbnail && image.reason ? reasonOf(image) : ''}</span>${extra ?? ''}</figcaption></figure></li>`;
}

/** The reason code, with the human message on hover. */
function reasonOf(image: ReportImage): Markup {
  return image.message
    ? html`<span class="reason" title="${image.message}">${image.reason}</span>`
    : html`<span class="reason">${image.reason}</span>`;
}

function formatBytesOrNot(bytes: number | undefined): string | undefined {
  return bytes === undefined ? undefined : formatBytes(bytes);
}
