module cgospin

go 1.22
