import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'

/** One DynamoDB client per container, created at init. */
export const db = DynamoDBDocumentClient.from(new DynamoDBClient({}))
