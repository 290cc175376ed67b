'use strict';

// CloudFormation snapshots a REST API into its stage only when it *creates* an
// AWS::ApiGateway::Deployment; updating the resource changes nothing the clients see. So the
// deployment of infra/rest-api.yml gets a new logical id on every packaging (as serverless
// does for the REST APIs it generates itself), depends on every method and gateway response
// (they must exist before the snapshot), and the stage points at it. The previous deployment
// is deleted once the stage has moved.
const DEPLOYMENT = 'ApiGatewayDeployment';
const STAGE = 'ApiGatewayStage';
const SNAPSHOT_CONTENT = new Set(['AWS::ApiGateway::Method', 'AWS::ApiGateway::GatewayResponse']);

class RestApiDeployment {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.redeploy(),
    };
  }

  redeploy() {
    const { Resources: resources } = this.serverless.service.provider.compiledCloudFormationTemplate;
    const deployment = resources[DEPLOYMENT];
    const stage = resources[STAGE];
    if (!deployment || !stage) {
      throw new this.serverless.classes.Error(
        `rest-api-deployment: the template needs ${DEPLOYMENT} and ${STAGE} (infra/rest-api.yml)`,
      );
    }
    const logicalId = `${DEPLOYMENT}${this.serverless.instanceId}`;
    delete resources[DEPLOYMENT];
    resources[logicalId] = {
      ...deployment,
      DependsOn: Object.keys(resources)
        .filter((id) => SNAPSHOT_CONTENT.has(resources[id].Type))
        .sort(),
    };
    stage.Properties.DeploymentId = { Ref: logicalId };
  }
}

module.exports = RestApiDeployment;
