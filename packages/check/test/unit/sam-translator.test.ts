// Our expansion of SAM's policy templates against SAM's own translator (samtranslator, installed
// with cfn-lint; CI has it): every template, each parameter given a value. Without Python and
// samtranslator this fails, rather than pass having compared nothing.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from '@jest/globals'
import { expandSamPolicies, type Pseudo } from '../../src/sam-policies.js'
import { TemplateResolver } from '../../src/template.js'

const pseudo: Pseudo = { partition: 'aws-cn', region: 'cn-north-1', accountId: '111122223333' }

/** A Python that imports samtranslator: SAM_PYTHON, else python3, else python. */
function python(): string {
  const candidates = [process.env.SAM_PYTHON, 'python3', 'python'].filter((candidate): candidate is string => Boolean(candidate))
  for (const candidate of candidates) {
    if (spawnSync(candidate, ['-c', 'import samtranslator'], { encoding: 'utf8' }).status === 0) return candidate
  }
  throw new Error(`no Python with samtranslator (tried ${candidates.join(', ')}): pip install aws-sam-translator, or set SAM_PYTHON`)
}

const SCRIPT = `
import json, sys
from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor
processor = PolicyTemplatesProcessor(PolicyTemplatesProcessor.get_default_policy_templates_json())
requests = json.load(sys.stdin)
print(json.dumps({name: processor.convert(name, parameters) for name, parameters in requests.items()}))
`

describe("SAM's policy templates", () => {
  it("expand as SAM's translator expands them, every one of them", () => {
    const templates = JSON.parse(readFileSync(new URL('../../sam/policy_templates.json', import.meta.url), 'utf8')) as {
      Templates: Record<string, { Parameters: Record<string, unknown> }>
    }
    const requests = Object.fromEntries(
      Object.entries(templates.Templates).map(([name, template]) => [
        name,
        Object.fromEntries(Object.keys(template.Parameters).map((parameter) => [parameter, `value-of-${parameter}`])),
      ]),
    )
    const run = spawnSync(python(), ['-c', SCRIPT], { input: JSON.stringify(requests), encoding: 'utf8' })
    expect(run.stderr).toBe('')
    const translated = JSON.parse(run.stdout) as Record<string, unknown>
    // SAM leaves the pseudo parameters to CloudFormation: resolved here as CloudFormation would.
    const pseudoValues = { 'AWS::Partition': pseudo.partition, 'AWS::Region': pseudo.region, 'AWS::AccountId': pseudo.accountId }
    const names = Object.keys(requests)
    expect(names.length).toBeGreaterThan(80)
    for (const name of names) {
      const ours = expandSamPolicies([{ [name]: requests[name] }], pseudo)
      const theirs = (new TemplateResolver(pseudoValues).resolve(translated[name]) as { Statement: unknown[] }).Statement
      expect([name, ours.notes, ours.statements.map((s) => s.statement)]).toEqual([name, [], theirs])
    }
  })
})
