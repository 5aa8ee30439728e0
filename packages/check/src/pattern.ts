// A parameter's `AllowedPattern` (a Java regular expression) matched in time linear in the value:
// a template is untrusted input, and a backtracking engine (RegExp) spins for ever on `(a+)+`
// against a 36-character default. The pattern is compiled to a Thompson NFA and simulated with a
// set of states per character (Pike's method), so no input makes it backtrack.
//
// Read: literals, `.`, classes (`[a-z_]`, `[^…]`, `\d \w \s` and their negations), escapes
// (`\t \n \r \f \e \a \0oo \xhh \uhhhh`, escaped punctuation), groups (`(…)`, `(?:…)`,
// `(?<name>…)`), `|`, `* + ? {n} {n,} {n,m}` (greedy or lazy, which match the same values), `^`
// and `$`. Anything else (backreferences, lookaround, `\b`, `\p{…}`, possessive quantifiers,
// class intersections) is a PatternError that names it.

/** A pattern this module cannot evaluate, or one larger than {@link PATTERN_LIMITS} allows. */
export class PatternError extends Error {
  /** `PatternError`. */
  override readonly name = 'PatternError'
}

/**
 * The bounds on a pattern's size (its length, the NFA states its counted repetitions expand to) and
 * on one match: its states times the value's characters (each character steps every live state).
 */
export const PATTERN_LIMITS = Object.freeze({ length: 4096, states: 20_000, work: 10_000_000 })

type CharTest = (code: number) => boolean
type Node =
  | { readonly kind: 'char'; readonly test: CharTest }
  | { readonly kind: 'seq'; readonly items: readonly Node[] }
  | { readonly kind: 'alt'; readonly options: readonly Node[] }
  | { readonly kind: 'repeat'; readonly node: Node; readonly min: number; readonly max: number }
  | { readonly kind: 'start' | 'end' }

const isDigit: CharTest = (c) => c >= 0x30 && c <= 0x39
const isWord: CharTest = (c) => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f
// Java's \s: [ \t\n\x0B\f\r].
const isSpace: CharTest = (c) => c === 0x20 || (c >= 0x09 && c <= 0x0d)
// Java's `.` without DOTALL: anything but a line terminator.
const isDot: CharTest = (c) => c !== 0x0a && c !== 0x0d && c !== 0x85 && c !== 0x2028 && c !== 0x2029
const not =
  (test: CharTest): CharTest =>
  (c) =>
    !test(c)
const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { t: 9, n: 10, r: 13, f: 12, e: 27, a: 7 }
const CLASS_ESCAPES: Readonly<Record<string, CharTest>> = {
  d: isDigit,
  D: not(isDigit),
  w: isWord,
  W: not(isWord),
  s: isSpace,
  S: not(isSpace),
}

class Parser {
  readonly #chars: readonly string[]
  #at = 0

  constructor(pattern: string) {
    this.#chars = Array.from(pattern)
  }

  parse(): Node {
    const node = this.#alternation()
    if (this.#at < this.#chars.length) throw new PatternError(`an unmatched ) at ${this.#at}`)
    return node
  }

  #peek(): string | undefined {
    return this.#chars[this.#at]
  }

  #next(): string {
    const char = this.#chars[this.#at++]
    if (char === undefined) throw new PatternError('it ends too early')
    return char
  }

  #alternation(): Node {
    const options = [this.#sequence()]
    while (this.#peek() === '|') {
      this.#at += 1
      options.push(this.#sequence())
    }
    return options.length === 1 ? (options[0] as Node) : { kind: 'alt', options }
  }

  #sequence(): Node {
    const items: Node[] = []
    for (let char = this.#peek(); char !== undefined && char !== '|' && char !== ')'; char = this.#peek()) {
      items.push(this.#quantified(this.#atom()))
    }
    return { kind: 'seq', items }
  }

  #quantified(node: Node): Node {
    let current = node
    for (;;) {
      const char = this.#peek()
      let bounds: [number, number] | undefined
      if (char === '*') bounds = [0, Infinity]
      else if (char === '+') bounds = [1, Infinity]
      else if (char === '?') bounds = [0, 1]
      else if (char === '{' && /^\{\d+(,\d*)?\}/.test(this.#chars.slice(this.#at, this.#at + 24).join(''))) {
        const text = /^\{(\d+)(,(\d*))?\}/.exec(this.#chars.slice(this.#at, this.#at + 24).join('')) as RegExpExecArray
        const min = Number(text[1])
        const max = text[2] === undefined ? min : text[3] === '' ? Infinity : Number(text[3])
        if (max < min) throw new PatternError(`the repetition ${text[0]} has its bounds reversed`)
        bounds = [min, max]
        this.#at += text[0].length - 1
      }
      if (bounds === undefined) return current
      if (current.kind === 'start' || current.kind === 'end') throw new PatternError('a quantifier on an anchor')
      this.#at += 1
      if (this.#peek() === '+') throw new PatternError('a possessive quantifier')
      if (this.#peek() === '?') this.#at += 1 // lazy: matches the same values
      current = { kind: 'repeat', node: current, min: bounds[0], max: bounds[1] }
    }
  }

  #atom(): Node {
    const char = this.#next()
    if (char === '(') {
      if (this.#peek() === '?') {
        this.#at += 1
        const kind = this.#next()
        if (kind === '<' && /[A-Za-z]/.test(this.#peek() ?? '')) {
          while (this.#next() !== '>');
        } else if (kind !== ':') {
          throw new PatternError(`the group (?${kind}…) (lookaround, flags or atomic groups)`)
        }
      }
      const node = this.#alternation()
      if (this.#peek() !== ')') throw new PatternError('an unclosed (')
      this.#at += 1
      return node
    }
    if (char === '[') return { kind: 'char', test: this.#class() }
    if (char === '.') return { kind: 'char', test: isDot }
    if (char === '^') return { kind: 'start' }
    if (char === '$') return { kind: 'end' }
    if (char === '\\') return { kind: 'char', test: this.#escape(false) }
    if (char === '*' || char === '+' || char === '?') throw new PatternError(`a ${char} with nothing to repeat`)
    const code = char.codePointAt(0) as number
    return { kind: 'char', test: (c) => c === code }
  }

  /** After `\`: a class escape, or one character. */
  #escape(inClass: boolean): CharTest {
    const char = this.#next()
    const escaped = Object.hasOwn(CLASS_ESCAPES, char) ? CLASS_ESCAPES[char] : undefined
    if (escaped !== undefined) return escaped
    const code = this.#escapedCode(char, inClass)
    return (c) => c === code
  }

  #escapedCode(char: string, inClass: boolean): number {
    if (Object.hasOwn(SIMPLE_ESCAPES, char)) return SIMPLE_ESCAPES[char] as number
    const hex = (length: number) => {
      const digits = this.#chars.slice(this.#at, this.#at + length).join('')
      if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(digits)) throw new PatternError(`the escape \\${char}${digits}`)
      this.#at += length
      return Number.parseInt(digits, 16)
    }
    if (char === 'x') return hex(2)
    if (char === 'u') return hex(4)
    if (char === '0') {
      let digits = ''
      while (digits.length < 3 && /[0-7]/.test(this.#peek() ?? '')) digits += this.#next()
      if (digits === '') throw new PatternError('the escape \\0 without octal digits')
      return Number.parseInt(digits, 8)
    }
    if (/[A-Za-z0-9]/.test(char)) {
      const what = /[1-9]/.test(char) ? 'a backreference' : char === 'b' || char === 'B' ? 'a word boundary' : `the escape \\${char}`
      throw new PatternError(`${what}${inClass ? ' in a class' : ''}`)
    }
    return char.codePointAt(0) as number
  }

  /** After `[`: the class up to its `]`. */
  #class(): CharTest {
    const negated = this.#peek() === '^'
    if (negated) this.#at += 1
    const tests: CharTest[] = []
    let first = true
    for (;;) {
      const char = this.#next()
      if (char === ']' && !first) break
      first = false
      if (char === '[' || (char === '&' && this.#peek() === '&')) throw new PatternError('a class union or intersection')
      let low: number | CharTest
      if (char === '\\') {
        const escaped = this.#peek() ?? ''
        low = Object.hasOwn(CLASS_ESCAPES, escaped) ? this.#escape(true) : this.#escapedCode(this.#next(), true)
      } else {
        low = char.codePointAt(0) as number
      }
      if (typeof low === 'function') {
        tests.push(low)
        continue
      }
      if (this.#peek() === '-' && this.#chars[this.#at + 1] !== ']' && this.#chars[this.#at + 1] !== undefined) {
        this.#at += 1
        const bound = this.#next()
        const high = bound === '\\' ? this.#escapedCode(this.#next(), true) : (bound.codePointAt(0) as number)
        if (high < low) throw new PatternError('a class range with its bounds reversed')
        const from = low
        tests.push((c) => c >= from && c <= high)
      } else {
        const code = low
        tests.push((c) => c === code)
      }
    }
    const inClass: CharTest = (c) => tests.some((test) => test(c))
    return negated ? not(inClass) : inClass
  }
}

/** A state of the NFA: one character, a fork, an anchor, or the match. */
type State =
  | { kind: 'char'; test: CharTest; next: number }
  | { kind: 'split'; next: number; other: number }
  | { kind: 'start' | 'end'; next: number }
  | { kind: 'match' }

/** Compiles nodes to states; each `compile` returns the entry of the fragment that continues at `next`. */
class Compiler {
  readonly states: State[] = [{ kind: 'match' }]

  #add(state: State): number {
    if (this.states.length >= PATTERN_LIMITS.states) {
      throw new PatternError(`its repetitions expand to more than ${PATTERN_LIMITS.states.toLocaleString('en-US')} states`)
    }
    this.states.push(state)
    return this.states.length - 1
  }

  compile(node: Node, next: number): number {
    switch (node.kind) {
      case 'char':
        return this.#add({ kind: 'char', test: node.test, next })
      case 'start':
      case 'end':
        return this.#add({ kind: node.kind, next })
      case 'seq':
        return node.items.reduceRight((after, item) => this.compile(item, after), next)
      case 'alt':
        return node.options
          .map((option) => this.compile(option, next))
          .reduceRight((other, entry) => this.#add({ kind: 'split', next: entry, other }))
      case 'repeat': {
        let entry = next
        if (node.max === Infinity) {
          // A loop: the fork goes into the body, whose end comes back to the fork.
          const fork = this.#add({ kind: 'split', next: -1, other: next })
          const body = this.compile(node.node, fork)
          ;(this.states[fork] as { next: number }).next = body
          entry = fork
        } else {
          // x{0,k} as (x(x(x)?)?)?: each optional copy may stop and go straight on to `next`.
          for (let optional = node.max - node.min; optional > 0; optional -= 1) {
            entry = this.#add({ kind: 'split', next: this.compile(node.node, entry), other: next })
          }
        }
        for (let count = node.min; count > 0; count -= 1) entry = this.compile(node.node, entry)
        return entry
      }
    }
  }
}

/** A pattern compiled once, tested against any number of values. */
export interface CompiledPattern {
  /** Whether the whole value matches (as CloudFormation tests AllowedPattern), in time linear in its length. */
  matches(value: string): boolean
}

/**
 * Compiles a Java regular expression (CloudFormation's `AllowedPattern`) for a whole-value match
 * in linear time.
 *
 * @throws {PatternError} naming what it cannot evaluate, or the limit the pattern exceeds.
 * @example
 * ```ts
 * compilePattern('(a+)+').matches(`${'a'.repeat(36)}!`) // false, at once
 * ```
 */
export function compilePattern(pattern: string): CompiledPattern {
  if (pattern.length > PATTERN_LIMITS.length) {
    throw new PatternError(
      `it is ${pattern.length.toLocaleString('en-US')} characters long; the check reads at most ${PATTERN_LIMITS.length.toLocaleString('en-US')}`,
    )
  }
  const compiler = new Compiler()
  const start = compiler.compile(new Parser(pattern).parse(), 0)
  const states = compiler.states
  return {
    matches(value: string): boolean {
      const codes = Array.from(value, (char) => char.codePointAt(0) as number)
      if (states.length * codes.length > PATTERN_LIMITS.work) {
        const count = (n: number) => n.toLocaleString('en-US')
        throw new PatternError(
          `matching its ${count(states.length)} states against ${count(codes.length)} characters takes up to ${count(states.length * codes.length)} steps; the check takes at most ${count(PATTERN_LIMITS.work)}`,
        )
      }
      let current = new Set<number>()
      const add = (set: Set<number>, index: number, at: number) => {
        // Iterative closure over forks and anchors: no recursion to overflow.
        const stack = [index]
        while (stack.length > 0) {
          const id = stack.pop() as number
          if (set.has(id)) continue
          set.add(id)
          const state = states[id] as State
          if (state.kind === 'split') stack.push(state.other, state.next)
          else if (state.kind === 'start' && at === 0) stack.push(state.next)
          else if (state.kind === 'end' && at === codes.length) stack.push(state.next)
        }
      }
      add(current, start, 0)
      for (let at = 0; at < codes.length && current.size > 0; at += 1) {
        const next = new Set<number>()
        const code = codes[at] as number
        for (const id of current) {
          const state = states[id] as State
          if (state.kind === 'char' && state.test(code)) add(next, state.next, at + 1)
        }
        current = next
      }
      return current.has(0)
    },
  }
}
