package render

// compose-x creates AWS resources of many kinds from top-level modules
// (x-rds, x-s3, ...). composex creates the ECS side only: a file written for
// compose-x still renders, and each such module is named in a warning that
// says what the user must provide instead, so that nobody believes the
// resource exists.

func init() {
	for k := range composexModuleAdvice {
		composexModules[k] = true
	}
}

// composexModuleAdvice says, per compose-x module composex does not
// implement, what to create and pass instead. The services' access to the
// resource (IAM, security groups) is not granted either, so every entry
// says how to grant it.
var composexModuleAdvice = map[string]string{
	"x-rds":               "create the database outside this stack and give the services its endpoint (environment) and credentials (secrets.*.x-secrets); allow the services' security group in the database's",
	"x-docdb":             "create the DocumentDB cluster outside this stack and give the services its endpoint (environment) and credentials (secrets.*.x-secrets); allow the services' security group in the cluster's",
	"x-neptune":           "create the Neptune cluster outside this stack and give the services its endpoint (environment); allow the services' security group in the cluster's, and grant neptune-db:* with x-iam",
	"x-elasticache":       "create the cache cluster outside this stack and give the services its endpoint (environment); allow the services' security group in the cluster's",
	"x-opensearch":        "create the domain outside this stack and give the services its endpoint (environment); grant es:ESHttp* with x-iam",
	"x-msk":               "create the Kafka cluster outside this stack and give the services its bootstrap brokers (environment); allow the services' security group in the cluster's",
	"x-s3":                "create the bucket outside this stack, give the services its name (environment) and grant the S3 actions they need with x-iam",
	"x-sqs":               "create the queue outside this stack, give the services its URL (environment) and grant the SQS actions they need with x-iam",
	"x-dynamodb":          "create the table outside this stack, give the services its name (environment) and grant the DynamoDB actions they need with x-iam",
	"x-kms":               "create the key outside this stack, give the services its ARN (environment) and grant kms:Decrypt/Encrypt with x-iam",
	"x-kinesis":           "create the stream outside this stack, give the services its name (environment) and grant the Kinesis actions they need with x-iam",
	"x-firehose":          "create the delivery stream outside this stack, give the services its name (environment) and grant firehose:PutRecord* with x-iam",
	"x-kinesis_firehose":  "create the delivery stream outside this stack, give the services its name (environment) and grant firehose:PutRecord* with x-iam",
	"x-events":            "create the EventBridge rule outside this stack; a scheduled task is not rendered",
	"x-ssm_parameter":     "create the parameter outside this stack, give the services its name (environment) and grant ssm:GetParameter* with x-iam",
	"x-cognito_userpool":  "create the user pool outside this stack and give the services its ID (environment)",
	"x-codeguru_profiler": "create the profiling group outside this stack, give the services its name (environment) and grant codeguru-profiler:* on it with x-iam",
	"x-acm":               "request the certificate outside this stack and give its ARN to the load balancer",
	"x-route53":           "create the DNS records outside this stack, pointing at the load balancer",
	"x-dns":               "create the DNS records outside this stack, pointing at the load balancer",
	"x-vpc":               "the network is the template's parameters (VpcId and the subnet IDs); create the VPC outside this stack",
	"x-aps":               "create the Amazon Managed Prometheus workspace outside this stack; x-prometheus sends the metrics to CloudWatch",
	"x-wafv2_webacl":      "create the web ACL outside this stack and associate it with the load balancer",
	"x-elbv2":             "create the load balancer outside this stack and register the services' ports in its target groups",
	"x-efs":               "create the file system outside this stack",
}

// composexModuleWarning is the warning for a top-level compose-x module
// composex does not implement.
func composexModuleWarning(k string) string {
	msg := k + " is a compose-x module that composex does not implement; nothing is created for it"
	if advice := composexModuleAdvice[k]; advice != "" {
		msg += ": " + advice
	}
	return msg
}
