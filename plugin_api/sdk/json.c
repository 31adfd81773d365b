/* A strict JSON reader into an arena-backed, read-only tree
 * (vitrine/sdk/json.h). Recursive descent, bounded by the depth limit; the
 * children of an array or object are collected on a scratch stack and
 * copied into the arena in one piece when the container closes, so item
 * access is O(1) and each object gets a key index sorted once (for O(log n)
 * lookup and for refusing duplicate keys). */
#include "vitrine/sdk/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kFlagTrue = 1, kFlagFinite = 2, kFlagIntegerText = 4 };

struct vsdk_json {
  unsigned char type;
  unsigned char flags;
  size_t len;              /* string bytes, number text bytes, or child count */
  const char* text;        /* string or number text (NUL-terminated) */
  vsdk_json* items;        /* children in document order */
  const vsdk_json** order; /* object members sorted by key (objects of 2+ members) */
  const char* key;         /* the member key when this node is an object member */
  size_t key_len;
  double num;
};

/* Arena: a list of blocks, each at least 64 KiB; freed all at once. */
typedef struct block {
  struct block* next;
  size_t used;
  size_t cap;
} block;

#define BLOCK_HEADER (((sizeof(block)) + 15u) & ~(size_t)15u)

struct vsdk_json_doc {
  block* blocks;
  vsdk_json root;
};

static void* arena_alloc(vsdk_json_doc* doc, size_t size) {
  size = (size + 15u) & ~(size_t)15u;
  if (size == 0) size = 16;
  block* b = doc->blocks;
  if (b == NULL || b->cap - b->used < size) {
    const size_t cap = size > 65536 ? size : 65536;
    block* nb = (block*)malloc(BLOCK_HEADER + cap);
    if (nb == NULL) return NULL;
    nb->next = doc->blocks;
    nb->used = 0;
    nb->cap = cap;
    doc->blocks = nb;
    b = nb;
  }
  void* p = (char*)b + BLOCK_HEADER + b->used;
  b->used += size;
  return p;
}

typedef struct parser {
  const unsigned char* s;
  size_t len;
  size_t pos;
  uint32_t max_depth;
  vsdk_json_doc* doc;
  vsdk_json_error* err;
  vitrine_status st;
  vsdk_json* stack; /* scratch: children of open containers */
  size_t stack_len;
  size_t stack_cap;
} parser;

static int fail(parser* p, vitrine_status st, size_t offset, const char* fmt, ...) {
  if (p->st == VITRINE_OK) {
    p->st = st;
    if (p->err != NULL) {
      p->err->offset = offset;
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
      va_end(ap);
    }
  }
  return 0;
}

static int oom(parser* p) {
  return fail(p, VITRINE_E_INTERNAL, p->pos, "out of memory while reading the JSON document");
}

static void skip_ws(parser* p) {
  while (p->pos < p->len) {
    const unsigned char c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
    ++p->pos;
  }
}

static int push(parser* p, const vsdk_json* node) {
  if (p->stack_len == p->stack_cap) {
    const size_t cap = p->stack_cap == 0 ? 64 : p->stack_cap * 2;
    vsdk_json* s = (vsdk_json*)realloc(p->stack, cap * sizeof *s);
    if (s == NULL) return oom(p);
    p->stack = s;
    p->stack_cap = cap;
  }
  p->stack[p->stack_len++] = *node;
  return 1;
}

static int hex4(const unsigned char* s, unsigned* out) {
  unsigned v = 0;
  for (int i = 0; i < 4; ++i) {
    const unsigned char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v |= c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v |= c - 'A' + 10;
    } else {
      return 0;
    }
  }
  *out = v;
  return 1;
}

/* Length of the valid UTF-8 sequence at s[0..avail), or 0 (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char* s, size_t avail) {
  const unsigned char c = s[0];
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (avail < n) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  }
  return n;
}

static size_t put_utf8(char* out, unsigned cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Reads a string starting at the opening quote into arena memory. The
 * unescaped text is never longer than the raw text, so one allocation of
 * the raw length suffices. */
static int parse_string(parser* p, const char** out, size_t* out_len) {
  const size_t open = p->pos++;
  size_t end = p->pos;
  while (end < p->len && p->s[end] != '"') {
    if (p->s[end] == '\\') ++end;
    ++end;
  }
  if (end >= p->len) return fail(p, VITRINE_E_INVALID, open, "unterminated string");
  char* dst = (char*)arena_alloc(p->doc, end - p->pos + 1);
  if (dst == NULL) return oom(p);
  size_t n = 0;
  while (p->pos < end) {
    const unsigned char c = p->s[p->pos];
    if (c < 0x20) {
      return fail(p, VITRINE_E_INVALID, p->pos,
                  "control character 0x%02X inside a string must be escaped", c);
    }
    if (c >= 0x80) {
      const size_t k = utf8_seq(p->s + p->pos, end - p->pos);
      if (k == 0) return fail(p, VITRINE_E_INVALID, p->pos, "invalid UTF-8 in a string");
      memcpy(dst + n, p->s + p->pos, k);
      n += k;
      p->pos += k;
      continue;
    }
    if (c != '\\') {
      dst[n++] = (char)c;
      ++p->pos;
      continue;
    }
    const size_t esc = p->pos;
    const unsigned char e = p->s[p->pos + 1];
    p->pos += 2;
    switch (e) {
      case '"':
      case '\\':
      case '/':
        dst[n++] = (char)e;
        break;
      case 'b':
        dst[n++] = '\b';
        break;
      case 'f':
        dst[n++] = '\f';
        break;
      case 'n':
        dst[n++] = '\n';
        break;
      case 'r':
        dst[n++] = '\r';
        break;
      case 't':
        dst[n++] = '\t';
        break;
      case 'u': {
        unsigned cp;
        if (end - p->pos < 4 || !hex4(p->s + p->pos, &cp)) {
          return fail(p, VITRINE_E_INVALID, esc, "\\u must be followed by four hex digits");
        }
        p->pos += 4;
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return fail(p, VITRINE_E_INVALID, esc, "lone low surrogate \\u%04X", cp);
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          unsigned lo;
          if (end - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
              !hex4(p->s + p->pos + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
            return fail(p, VITRINE_E_INVALID, esc,
                        "high surrogate \\u%04X is not followed by a low surrogate", cp);
          }
          p->pos += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        n += put_utf8(dst + n, cp);
        break;
      }
      default:
        return fail(p, VITRINE_E_INVALID, esc, "invalid escape sequence in a string");
    }
  }
  dst[n] = '\0';
  p->pos = end + 1;
  *out = dst;
  *out_len = n;
  return 1;
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int parse_number(parser* p, vsdk_json* node) {
  const size_t start = p->pos;
  size_t i = p->pos;
  int integer = 1;
  if (i < p->len && p->s[i] == '-') ++i;
  if (i >= p->len || !is_digit(p->s[i])) {
    return fail(p, VITRINE_E_INVALID, start, "invalid number");
  }
  if (p->s[i] == '0') {
    ++i;
  } else {
    while (i < p->len && is_digit(p->s[i])) ++i;
  }
  if (i < p->len && p->s[i] == '.') {
    integer = 0;
    ++i;
    if (i >= p->len || !is_digit(p->s[i])) {
      return fail(p, VITRINE_E_INVALID, i, "a digit must follow the decimal point");
    }
    while (i < p->len && is_digit(p->s[i])) ++i;
  }
  if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
    integer = 0;
    ++i;
    if (i < p->len && (p->s[i] == '+' || p->s[i] == '-')) ++i;
    if (i >= p->len || !is_digit(p->s[i])) {
      return fail(p, VITRINE_E_INVALID, i, "a digit must follow the exponent");
    }
    while (i < p->len && is_digit(p->s[i])) ++i;
  }
  const size_t n = i - start;
  char* text = (char*)arena_alloc(p->doc, n + 1);
  if (text == NULL) return oom(p);
  memcpy(text, p->s + start, n);
  text[n] = '\0';
  /* strtod follows LC_NUMERIC; the worker never changes it from "C". */
  char* endp = NULL;
  const double d = strtod(text, &endp);
  if (endp != text + n) return fail(p, VITRINE_E_INVALID, start, "number could not be converted");
  node->type = VSDK_JSON_NUMBER;
  node->text = text;
  node->len = n;
  node->num = d;
  node->flags =
      (unsigned char)((integer ? kFlagIntegerText : 0) | (d - d == 0.0 ? kFlagFinite : 0));
  p->pos = i;
  return 1;
}

static int literal(parser* p, const char* word, size_t n) {
  if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) {
    return fail(p, VITRINE_E_INVALID, p->pos, "unexpected character '%c'",
                p->s[p->pos] >= 0x20 && p->s[p->pos] < 0x7F ? p->s[p->pos] : '?');
  }
  p->pos += n;
  return 1;
}

static int key_cmp(const char* a, size_t al, const char* b, size_t bl) {
  const int c = memcmp(a, b, al < bl ? al : bl);
  if (c != 0) return c;
  return al < bl ? -1 : (al > bl ? 1 : 0);
}

static int member_cmp(const void* a, const void* b) {
  const vsdk_json* x = *(const vsdk_json* const*)a;
  const vsdk_json* y = *(const vsdk_json* const*)b;
  return key_cmp(x->key, x->key_len, y->key, y->key_len);
}

/* Moves the children pushed since `base` into the arena. */
static int close_container(parser* p, vsdk_json* node, size_t base, unsigned char type,
                           size_t open) {
  const size_t n = p->stack_len - base;
  node->type = type;
  node->len = n;
  if (n == 0) return 1;
  if (n > ((size_t)-1) / sizeof(vsdk_json)) return oom(p);
  vsdk_json* items = (vsdk_json*)arena_alloc(p->doc, n * sizeof(vsdk_json));
  if (items == NULL) return oom(p);
  memcpy(items, p->stack + base, n * sizeof(vsdk_json));
  p->stack_len = base;
  node->items = items;
  if (type != VSDK_JSON_OBJECT || n < 2) return 1;
  const vsdk_json** order = (const vsdk_json**)arena_alloc(p->doc, n * sizeof(vsdk_json*));
  if (order == NULL) return oom(p);
  for (size_t i = 0; i < n; ++i) order[i] = &items[i];
  qsort(order, n, sizeof *order, member_cmp);
  for (size_t i = 1; i < n; ++i) {
    if (member_cmp(&order[i - 1], &order[i]) == 0) {
      return fail(p, VITRINE_E_INVALID, open, "duplicate key \"%.60s\" in an object",
                  order[i]->key);
    }
  }
  node->order = order;
  return 1;
}

static int parse_value(parser* p, vsdk_json* node, uint32_t depth);

static int parse_container(parser* p, vsdk_json* node, uint32_t depth, int object) {
  const size_t open = p->pos;
  if (depth + 1 > p->max_depth) {
    return fail(p, VITRINE_E_TOO_LARGE, open, "nesting deeper than %u levels", p->max_depth);
  }
  const unsigned char close = object ? '}' : ']';
  const size_t base = p->stack_len;
  ++p->pos;
  skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == close) {
    ++p->pos;
    return close_container(p, node, base, object ? VSDK_JSON_OBJECT : VSDK_JSON_ARRAY, open);
  }
  for (;;) {
    vsdk_json child;
    memset(&child, 0, sizeof child);
    if (object) {
      skip_ws(p);
      if (p->pos >= p->len || p->s[p->pos] != '"') {
        return fail(p, VITRINE_E_INVALID, p->pos, "expected a string key in an object");
      }
      if (!parse_string(p, &child.key, &child.key_len)) return 0;
      skip_ws(p);
      if (p->pos >= p->len || p->s[p->pos] != ':') {
        return fail(p, VITRINE_E_INVALID, p->pos, "expected ':' after an object key");
      }
      ++p->pos;
    }
    const char* key = child.key;
    const size_t key_len = child.key_len;
    if (!parse_value(p, &child, depth + 1)) return 0;
    child.key = key;
    child.key_len = key_len;
    if (!push(p, &child)) return 0;
    skip_ws(p);
    if (p->pos >= p->len) {
      return fail(p, VITRINE_E_INVALID, p->pos, "unexpected end of input inside %s",
                  object ? "an object" : "an array");
    }
    if (p->s[p->pos] == ',') {
      ++p->pos;
      continue;
    }
    if (p->s[p->pos] == close) {
      ++p->pos;
      return close_container(p, node, base, object ? VSDK_JSON_OBJECT : VSDK_JSON_ARRAY, open);
    }
    return fail(p, VITRINE_E_INVALID, p->pos, "expected ',' or '%c'", close);
  }
}

static int parse_value(parser* p, vsdk_json* node, uint32_t depth) {
  skip_ws(p);
  if (p->pos >= p->len) return fail(p, VITRINE_E_INVALID, p->pos, "unexpected end of input");
  const unsigned char c = p->s[p->pos];
  switch (c) {
    case '{':
      return parse_container(p, node, depth, 1);
    case '[':
      return parse_container(p, node, depth, 0);
    case '"':
      node->type = VSDK_JSON_STRING;
      return parse_string(p, &node->text, &node->len);
    case 't':
      node->type = VSDK_JSON_BOOL;
      node->flags = kFlagTrue;
      return literal(p, "true", 4);
    case 'f':
      node->type = VSDK_JSON_BOOL;
      return literal(p, "false", 5);
    case 'n':
      node->type = VSDK_JSON_NULL;
      return literal(p, "null", 4);
    default:
      if (c == '-' || is_digit(c)) return parse_number(p, node);
      return fail(p, VITRINE_E_INVALID, p->pos, "unexpected character '%c'",
                  c >= 0x20 && c < 0x7F ? c : '?');
  }
}

vitrine_status vsdk_json_parse(const char* text, size_t len, const vsdk_json_limits* limits,
                               vsdk_json_doc** out, vsdk_json_error* error) {
  if (error != NULL) {
    error->offset = 0;
    error->message[0] = '\0';
  }
  if (out == NULL) return VITRINE_E_INTERNAL;
  *out = NULL;
  parser p;
  memset(&p, 0, sizeof p);
  p.s = (const unsigned char*)text;
  p.len = text == NULL ? 0 : len;
  p.err = error;
  p.st = VITRINE_OK;
  size_t max_bytes = VSDK_JSON_DEFAULT_MAX_BYTES;
  p.max_depth = VSDK_JSON_DEFAULT_MAX_DEPTH;
  if (limits != NULL && limits->max_bytes != 0) max_bytes = limits->max_bytes;
  if (limits != NULL && limits->max_depth != 0) p.max_depth = limits->max_depth;
  if (p.max_depth > VSDK_JSON_MAX_DEPTH_CAP) p.max_depth = VSDK_JSON_MAX_DEPTH_CAP;
  if (p.len > max_bytes) {
    fail(&p, VITRINE_E_TOO_LARGE, max_bytes, "the document is larger than %zu bytes", max_bytes);
    return p.st;
  }
  if (p.len >= 3 && p.s[0] == 0xEF && p.s[1] == 0xBB && p.s[2] == 0xBF) {
    fail(&p, VITRINE_E_INVALID, 0, "a byte order mark is not allowed before JSON");
    return p.st;
  }
  skip_ws(&p);
  if (p.pos >= p.len) {
    fail(&p, VITRINE_E_INVALID, p.pos, "the document is empty");
    return p.st;
  }
  vsdk_json_doc* doc = (vsdk_json_doc*)calloc(1, sizeof *doc);
  if (doc == NULL) {
    oom(&p);
    return p.st;
  }
  p.doc = doc;
  if (parse_value(&p, &doc->root, 0)) {
    skip_ws(&p);
    if (p.pos < p.len) fail(&p, VITRINE_E_INVALID, p.pos, "unexpected data after the JSON value");
  }
  free(p.stack);
  if (p.st != VITRINE_OK) {
    vsdk_json_free(doc);
    return p.st;
  }
  *out = doc;
  return VITRINE_OK;
}

void vsdk_json_free(vsdk_json_doc* doc) {
  if (doc == NULL) return;
  block* b = doc->blocks;
  while (b != NULL) {
    block* next = b->next;
    free(b);
    b = next;
  }
  free(doc);
}

const vsdk_json* vsdk_json_root(const vsdk_json_doc* doc) {
  return doc == NULL ? NULL : &doc->root;
}

vsdk_json_type vsdk_json_type_of(const vsdk_json* node) {
  return node == NULL ? VSDK_JSON_MISSING : (vsdk_json_type)node->type;
}

const vsdk_json* vsdk_json_get_n(const vsdk_json* node, const char* key, size_t key_len) {
  if (node == NULL || node->type != VSDK_JSON_OBJECT || node->len == 0 || key == NULL) return NULL;
  if (node->len == 1) {
    const vsdk_json* m = &node->items[0];
    return key_cmp(m->key, m->key_len, key, key_len) == 0 ? m : NULL;
  }
  size_t lo = 0;
  size_t hi = node->len;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    const vsdk_json* m = node->order[mid];
    const int c = key_cmp(m->key, m->key_len, key, key_len);
    if (c == 0) return m;
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return NULL;
}

const vsdk_json* vsdk_json_get(const vsdk_json* node, const char* key) {
  return key == NULL ? NULL : vsdk_json_get_n(node, key, strlen(key));
}

size_t vsdk_json_size(const vsdk_json* node) {
  if (node == NULL || (node->type != VSDK_JSON_ARRAY && node->type != VSDK_JSON_OBJECT)) return 0;
  return node->len;
}

const vsdk_json* vsdk_json_at(const vsdk_json* node, size_t index) {
  return index < vsdk_json_size(node) ? &node->items[index] : NULL;
}

vitrine_str vsdk_json_key_at(const vsdk_json* node, size_t index) {
  vitrine_str s = {NULL, 0};
  if (node == NULL || node->type != VSDK_JSON_OBJECT || index >= node->len) return s;
  s.ptr = node->items[index].key;
  s.len = node->items[index].key_len;
  return s;
}

int vsdk_json_string(const vsdk_json* node, vitrine_str* out) {
  if (node == NULL || node->type != VSDK_JSON_STRING || out == NULL) return 0;
  out->ptr = node->text;
  out->len = node->len;
  return 1;
}

int vsdk_json_double(const vsdk_json* node, double* out) {
  if (node == NULL || node->type != VSDK_JSON_NUMBER || !(node->flags & kFlagFinite)) return 0;
  if (out != NULL) *out = node->num;
  return 1;
}

int vsdk_json_int64(const vsdk_json* node, int64_t* out) {
  if (node == NULL || node->type != VSDK_JSON_NUMBER) return 0;
  if (node->flags & kFlagIntegerText) {
    /* Accumulate towards the sign so INT64_MIN is reachable. */
    const char* s = node->text;
    const int neg = s[0] == '-';
    int64_t v = 0;
    for (size_t i = (size_t)neg; i < node->len; ++i) {
      const int d = s[i] - '0';
      if (neg) {
        if (v < (INT64_MIN + d) / 10) return 0;
        v = v * 10 - d;
      } else {
        if (v > (INT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
      }
    }
    if (out != NULL) *out = v;
    return 1;
  }
  const double d = node->num;
  if (!(node->flags & kFlagFinite) || d > 9007199254740992.0 || d < -9007199254740992.0) return 0;
  const int64_t v = (int64_t)d;
  if ((double)v != d) return 0;
  if (out != NULL) *out = v;
  return 1;
}

int vsdk_json_bool(const vsdk_json* node, int* out) {
  if (node == NULL || node->type != VSDK_JSON_BOOL) return 0;
  if (out != NULL) *out = (node->flags & kFlagTrue) ? 1 : 0;
  return 1;
}

int vsdk_json_is_null(const vsdk_json* node) {
  return node != NULL && node->type == VSDK_JSON_NULL;
}

vitrine_str vsdk_json_number_text(const vsdk_json* node) {
  vitrine_str s = {NULL, 0};
  if (node == NULL || node->type != VSDK_JSON_NUMBER) return s;
  s.ptr = node->text;
  s.len = node->len;
  return s;
}
