"""The test harness: the program under mocks (mockrun), its Kubernetes objects as manifests, the local Docker config."""
