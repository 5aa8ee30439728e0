// The CDK CLI's entry (cdk.json): `npx cdk deploy -c stage=dev` from this folder.
import { schedulerApp } from './app.js'

schedulerApp().app.synth()
