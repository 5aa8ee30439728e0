import { describe, expect, it } from '@jest/globals'
import { targetOf } from '../../src/targets.js'

const pseudo = { partition: 'aws', region: 'eu-west-1', accountId: '111122223333' }

describe("an instance's target, as the check derives it from the template", () => {
  it.each([
    ['lambda', { arn: 'arn:aws:lambda:us-east-1:444455556666:function:f' }, 'arn:aws:lambda:us-east-1:444455556666:function:f'],
    ['lambda', { arn: '444455556666:function:f:live' }, 'arn:aws:lambda:eu-west-1:444455556666:function:f:live'],
    ['lambda', { arn: 'f' }, 'arn:aws:lambda:eu-west-1:111122223333:function:f'],
    ['queue', { url: 'https://sqs.us-east-2.amazonaws.com/444455556666/jobs' }, 'arn:aws:sqs:us-east-2:444455556666:jobs'],
    ['queue', { arn: 'arn:aws:sqs:eu-west-1:111122223333:jobs', url: 'https://x/1/2' }, 'arn:aws:sqs:eu-west-1:111122223333:jobs'],
    [
      'stateMachine',
      { arn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:sm:live' },
      'arn:aws:states:eu-west-1:111122223333:stateMachine:sm',
    ],
    ['eventBus', { name: 'bus' }, 'arn:aws:events:eu-west-1:111122223333:event-bus/bus'],
    ['topic', { arn: 'arn:aws:sns:eu-west-1:111122223333:t' }, 'arn:aws:sns:eu-west-1:111122223333:t'],
  ])('%s %j → %s', (kind, attributes, target) => {
    expect(targetOf(kind, { type: 'x', ...attributes }, pseudo)).toBe(target)
  })

  it('is none when the attributes name none (the check then fails the calls it cannot check)', () => {
    expect(targetOf('queue', { type: 'sqs' }, pseudo)).toBeUndefined()
    expect(targetOf('queue', { type: 'sqs', url: 'not a url' }, pseudo)).toBeUndefined()
    expect(targetOf('topic', { type: 'sns', arn: '' }, pseudo)).toBeUndefined()
    expect(targetOf('eventBus', { type: 'eventbridge' }, pseudo)).toBeUndefined()
  })
})
