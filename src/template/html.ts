// HTML mode (html/template's job, simplified). Go's html/template rewrites the parsed template
// once, inserting an escaper per action chosen from the HTML context it infers statically. We
// instead track the context at run time over the output actually produced, which gives the same
// answer for the contexts Alertmanager's e-mail templates use, in far less code:
//   - text and RCDATA: &, <, >, ", ', + and NUL are escaped (as html/template does);
//   - quoted and unquoted attribute values (unquoted ones also escape spaces, =, `);
//   - URL attributes (href, src, data-src, any name with src/url/uri): a value that starts the
//     attribute and carries a scheme other than http, https or mailto becomes "#ZgotmplZ"; the URL
//     is then normalised (percent-encoding what may not appear), or fully query-escaped after a `?`
//     or `#` in the template text; then attribute-escaped;
//   - event-handler attributes (on*) and <script> bodies: the value as JSON (a string quoted, with
//     <, > and & as \u escapes);
//   - style attributes and <style> bodies: only plain words, numbers and colours pass, else "ZgotmplZ";
//   - tag and attribute-name positions: only an attribute-name-like value passes, else "ZgotmplZ";
//   - HTML comments in the template text are dropped from the output, as html/template does.
// safeHtml's value passes unescaped in text; safeUrl's skips the scheme filter. A pipeline ending
// in the html or urlquery builtin is not escaped again. A missing value prints as the empty
// string (html/template's rule), not "<no value>".
// Not modelled: JS and CSS sub-contexts beyond "a value", srcset, templates that change context
// inside a branch (we follow what was executed, Go would reject such a template at parse time).

import type { Output } from './exec.ts';
import { formatValue } from './fmt.ts';
import { SafeHTML, SafeURL, marshalJSON } from './values.ts';

type State =
  | { s: 'text' }
  | { s: 'tag'; name: string; closing: boolean }
  | { s: 'attrName'; tag: string; name: string }
  | { s: 'afterName'; tag: string; name: string }
  | { s: 'beforeValue'; tag: string; name: string }
  | { s: 'attr'; tag: string; quote: string; kind: AttrKind; started: boolean; query: boolean }
  | { s: 'comment' }
  | { s: 'raw'; tag: 'script' | 'style' };

type AttrKind = 'normal' | 'url' | 'js' | 'css';

const URL_ATTRS = new Set(['href', 'src', 'action', 'cite', 'data', 'formaction', 'poster', 'background', 'codebase', 'longdesc', 'usemap', 'icon', 'manifest', 'profile', 'classid', 'archive', 'xmlns']);

/** What an attribute's value is, by its name, as html/template judges it ("data-" and namespace prefixes dropped). */
function attrKind(name: string): AttrKind {
  let n = name.toLowerCase();
  if (n.startsWith('data-')) n = n.slice(5);
  else if (n.includes(':')) {
    if (n.startsWith('xmlns:')) return 'url';
    n = n.slice(n.indexOf(':') + 1);
  }
  if (n.startsWith('on')) return 'js';
  if (n === 'style') return 'css';
  if (URL_ATTRS.has(n) || n.includes('src') || n.includes('url') || n.includes('uri')) return 'url';
  return 'normal';
}

const HTML_TEXT_ESCAPES: Record<string, string> = { '\0': '\uFFFD', '"': '&#34;', '&': '&amp;', "'": '&#39;', '+': '&#43;', '<': '&lt;', '>': '&gt;' };
const HTML_NOSPACE_ESCAPES: Record<string, string> = {
  '\0': '&#xfffd;', '\t': '&#9;', '\n': '&#10;', '\v': '&#11;', '\f': '&#12;', '\r': '&#13;', ' ': '&#32;',
  '"': '&#34;', '&': '&amp;', "'": '&#39;', '+': '&#43;', '<': '&lt;', '=': '&#61;', '>': '&gt;', '`': '&#96;',
};

const HTML_TEXT_SPECIAL = /[\0"&'+<>]/;

export function escapeHtmlText(s: string): string {
  // Most values (label values, names) have nothing to escape.
  if (!HTML_TEXT_SPECIAL.test(s)) return s;
  return s.replace(/[\0"&'+<>]/g, (c) => HTML_TEXT_ESCAPES[c]);
}

function escapeAttr(s: string, quote: string): string {
  return quote === '' ? s.replace(/[\0\t\n\v\f\r "&'+<=>`]/g, (c) => HTML_NOSPACE_ESCAPES[c]) : escapeHtmlText(s);
}

const URL_KEEP_NORMALIZED = /[A-Za-z0-9\-._~!#$&*+,/:;=?@[\]%]/;
const URL_KEEP_ESCAPED = /[A-Za-z0-9\-._~]/;

const URL_ALL_NORMALIZED = /^[A-Za-z0-9\-._~!#$&*+,/:;=?@[\]%]*$/;
const URL_ALL_ESCAPED = /^[A-Za-z0-9\-._~]*$/;

function urlEncode(s: string, normalize: boolean): string {
  if ((normalize ? URL_ALL_NORMALIZED : URL_ALL_ESCAPED).test(s)) return s;
  let out = '';
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    if (b < 0x80 && (normalize ? URL_KEEP_NORMALIZED : URL_KEEP_ESCAPED).test(c)) out += c;
    else out += '%' + b.toString(16).padStart(2, '0');
  }
  return out;
}

function stripTags(s: string): string {
  return s.replace(/<[^>]*>/g, '');
}

/** A value in JavaScript: its JSON, spaced off when it starts or ends like an identifier. */
function jsValue(v: unknown): string {
  let json: string;
  try {
    json = marshalJSON(v);
  } catch {
    json = 'null';
  }
  return /^[\w$]|[\w$]$/.test(json) ? ` ${json} ` : json;
}

const SAFE_CSS = /^[\w\s#%.,-]*$/;

const TEXT_MEMO = new Map<string, Map<string, { out: string; state: State }>>();
const TEXT_MEMO_MAX = 5000;

/** A context as a string: every field, so equal keys are interchangeable contexts. */
function stateKey(st: State): string {
  switch (st.s) {
    case 'text':
    case 'comment':
      return st.s;
    case 'tag':
      return `tag\0${st.name}\0${st.closing}`;
    case 'attrName':
    case 'afterName':
    case 'beforeValue':
      return `${st.s}\0${st.tag}\0${st.name}`;
    case 'attr':
      return `attr\0${st.tag}\0${st.quote}\0${st.kind}\0${st.started}\0${st.query}`;
    case 'raw':
      return `raw\0${st.tag}`;
  }
}

export function htmlOutput(): Output {
  let output = '';
  let state: State = { s: 'text' };

  const emit = (s: string) => {
    output += s;
  };

  /**
   * Template text: the same text node entered in the same context always gives the same output
   * and context, so that is remembered (an e-mail's row template runs once per alert).
   */
  const text = (src: string) => {
    const key = stateKey(state);
    let byState = TEXT_MEMO.get(src);
    const known = byState?.get(key);
    if (known !== undefined) {
      output += known.out;
      state = { ...known.state };
      return;
    }
    const out = scan(src);
    output += out;
    if (byState === undefined) {
      if (TEXT_MEMO.size >= TEXT_MEMO_MAX) TEXT_MEMO.clear();
      byState = new Map();
      TEXT_MEMO.set(src, byState);
    }
    byState.set(key, { out, state: { ...state } });
  };

  /** Advances the context over trusted template text, dropping HTML comments; returns the text to output. */
  const scan = (src: string): string => {
    let out = '';
    for (let i = 0; i < src.length; i++) {
      const c = src[i];
      const st: State = state;
      switch (st.s) {
        case 'text':
          if (c === '<' && src.startsWith('<!--', i)) {
            state = { s: 'comment' };
            i += 3;
            continue;
          }
          if (c === '<') {
            const m = /^<(\/?)([A-Za-z][A-Za-z0-9:-]*)/.exec(src.slice(i));
            if (m !== null) {
              state = { s: 'tag', name: m[2].toLowerCase(), closing: m[1] === '/' };
              out += m[0];
              i += m[0].length - 1;
              continue;
            }
          }
          break;
        case 'comment':
          if (src.startsWith('-->', i)) {
            state = { s: 'text' };
            i += 2;
          }
          continue;
        case 'raw': {
          const close = new RegExp(`^</${st.tag}[\\s>/]`, 'i').exec(src.slice(i, i + st.tag.length + 3));
          if (close !== null) {
            state = { s: 'tag', name: st.tag, closing: true };
            out += src.slice(i, i + st.tag.length + 2);
            i += st.tag.length + 1;
            continue;
          }
          break;
        }
        case 'tag':
          if (c === '>') state = closeTag(st.name, st.closing);
          else if (!/[\s/]/.test(c)) state = { s: 'attrName', tag: st.name, name: c };
          break;
        case 'attrName':
          if (c === '=') state = { s: 'beforeValue', tag: st.tag, name: st.name };
          else if (c === '>') state = closeTag(st.tag, false);
          else if (/\s/.test(c)) state = { s: 'afterName', tag: st.tag, name: st.name };
          else st.name += c;
          break;
        case 'afterName':
          if (c === '=') state = { s: 'beforeValue', tag: st.tag, name: st.name };
          else if (c === '>') state = closeTag(st.tag, false);
          else if (!/\s/.test(c)) state = { s: 'attrName', tag: st.tag, name: c };
          break;
        case 'beforeValue':
          if (c === '"' || c === "'") state = { s: 'attr', tag: st.tag, quote: c, kind: attrKind(st.name), started: false, query: false };
          else if (c === '>') state = closeTag(st.tag, false);
          else if (!/\s/.test(c)) state = { s: 'attr', tag: st.tag, quote: '', kind: attrKind(st.name), started: true, query: c === '?' || c === '#' };
          break;
        case 'attr':
          if (st.quote !== '' ? c === st.quote : /\s/.test(c)) state = { s: 'tag', name: st.tag, closing: false };
          else if (st.quote === '' && c === '>') state = closeTag(st.tag, false);
          else {
            st.started = true;
            if (c === '?' || c === '#') st.query = true;
          }
          break;
      }
      out += c;
    }
    return out;
  };

  const value = (v: unknown, preEscaped: boolean) => {
    const st = state;
    if (st.s === 'comment') return;
    if (preEscaped) {
      // The pipeline ended in the html or urlquery builtin: html/template does not escape twice.
      if (v !== undefined && v !== null) emit(formatValue(v));
      return;
    }
    if (v === undefined || v === null) {
      if (st.s === 'beforeValue') state = { s: 'attr', tag: st.tag, quote: '', kind: attrKind(st.name), started: true, query: false };
      return;
    }
    const str = formatValue(v);
    switch (st.s) {
      case 'text':
        emit(v instanceof SafeHTML ? str : escapeHtmlText(str));
        return;
      case 'raw':
        emit(st.tag === 'script' ? jsValue(v) : SAFE_CSS.test(str) ? str : 'ZgotmplZ');
        return;
      case 'tag':
      case 'attrName':
      case 'afterName': {
        const ok = /^[A-Za-z0-9-]+$/.test(str) && !/^on/i.test(str) && attrKind(str) === 'normal';
        const name = ok ? str : 'ZgotmplZ';
        emit(name);
        state = st.s === 'attrName' ? { ...st, name: st.name + name } : { s: 'attrName', tag: st.s === 'tag' ? st.name : st.tag, name };
        return;
      }
      case 'beforeValue': {
        const attr: State = { s: 'attr', tag: st.tag, quote: '', kind: attrKind(st.name), started: false, query: false };
        state = attr;
        emitAttr(attr, v, str);
        return;
      }
      case 'attr':
        emitAttr(st, v, str);
        return;
    }
  };

  const emitAttr = (st: Extract<State, { s: 'attr' }>, v: unknown, str: string) => {
    let s: string;
    switch (st.kind) {
      case 'url':
        if (!st.started && !(v instanceof SafeURL)) {
          const scheme = /^([^:/?#]*):/.exec(str);
          if (scheme !== null && !/^(https?|mailto)$/i.test(scheme[1])) str = '#ZgotmplZ';
        }
        // As Go decides statically: only template text (not a value) moves the URL into its query.
        s = urlEncode(str, !st.query);
        break;
      case 'js':
        s = jsValue(v);
        break;
      case 'css':
        s = SAFE_CSS.test(str) ? str : 'ZgotmplZ';
        break;
      default:
        s = v instanceof SafeHTML ? stripTags(str) : str;
    }
    if (s !== '') st.started = true;
    emit(escapeAttr(s, st.quote));
  };

  return { text, value, result: () => output };
}

function closeTag(name: string, closing: boolean): State {
  if (!closing && (name === 'script' || name === 'style')) return { s: 'raw', tag: name };
  return { s: 'text' };
}
