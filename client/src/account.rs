//! Accounts against the stack's Cognito user pool: sign up, confirm, sign in, refresh.
