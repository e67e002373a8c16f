import monitoring
import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
cluster = k8s.Provider("cluster", kubeconfig=config.get("kubeconfig"), context=config.get("context"))
stack = monitoring.deploy(cluster, config.get("namespace") or "monitoring", config.require_secret("slackWebhook"))

pulumi.export("prometheus", stack.services["prometheus"].internal_url)
pulumi.export("alertmanager", stack.services["alertmanager"].internal_url)
