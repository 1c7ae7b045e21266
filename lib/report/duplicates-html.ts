/**
 * The report's duplicates section: how many groups of copies there are (exact: the same bytes;
 * near: perceptual hashes within the distance), and the largest groups as rows of tiles, each
 * with its distance to the group's first. Every value is escaped (markup.ts).
 */
import type { DuplicatesNotCompared, ReportDuplicates } from './data.ts';
import { formatCount } from './format.ts';
import { html, type Markup } from './markup.ts';
import { sharedFolder, tileName } from './names.ts';
import { renderTile } from './tile.ts';

function count(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function renderDuplicates(d: ReportDuplicates | DuplicatesNotCompared): Markup {
  if ('notCompared' in d) {
    const { images, limit } = d.notCompared;
    return html`<p class="empty">${count(images, 'DONE image')}: more than the ${formatCount(limit)} this page compares. <code>pixelmill duplicates</code> groups them at any size.</p>`;
  }
  const groups = d.exactGroups + d.nearGroups;
  const intro = html`<p>${count(d.images, 'DONE image')} compared: ${count(groups, 'group')} of copies holding ${count(d.imagesInGroups, 'image')} — ${formatCount(d.exactGroups)} exact (the same bytes), ${formatCount(d.nearGroups)} near (perceptual hashes at most ${formatCount(d.distance)} of 64 bits apart: resized, recompressed or lightly edited). <code>pixelmill duplicates</code> lists them all.</p>`;
  if (groups === 0) return html`${intro}<p class="empty">No duplicates found.</p>`;
  const folder = sharedFolder(d.groups.flatMap((g) => g.images.map((i) => i.key)));
  const shown = d.groups.map(
    (g, n) =>
      html`<h3>Group ${formatCount(n + 1)} · ${g.kind} · ${count(g.size, 'image')}${
        g.size > g.images.length
          ? html` <span class="muted">(the first ${formatCount(g.images.length)} shown)</span>`
          : ''
      }</h3><ul class="sheet duplicates">${g.images.map((image, i) =>
        renderTile(
          image,
          folder,
          html`<span class="line">${
            i === 0 ? 'first of the group' : `distance ${formatCount(image.distance)}`
          }${image.sameBytesAs !== undefined ? html` · <span title="${image.sameBytesAs}">same bytes as ${tileName(image.sameBytesAs, folder)}</span>` : ''}</span>`,
        ),
      )}</ul>`,
  );
  return html`${intro}${shown}${
    d.groupsOmitted > 0
      ? html`<p class="omitted">${count(d.groupsOmitted, 'more group')} not shown.</p>`
      : ''
  }`;
}
