/**
 * The ready-made stack: one ImagePipeline with its defaults (or the props given) and the outputs
 * the CLI reads. `infra/cdk/app.ts` synthesizes it as "Pixelmill".
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ImagePipeline } from './image-pipeline.ts';
import type { ImagePipelineProps } from './image-pipeline-props.ts';
import { addPipelineOutputs } from './pipeline-outputs.ts';

export interface PipelineStackProps extends StackProps {
  readonly pipeline?: ImagePipelineProps;
}

export class PipelineStack extends Stack {
  readonly pipeline: ImagePipeline;

  constructor(scope: Construct, id: string, props: PipelineStackProps = {}) {
    super(scope, id, props);
    this.pipeline = new ImagePipeline(this, 'Pipeline', props.pipeline);
    addPipelineOutputs(this.pipeline);
  }
}
