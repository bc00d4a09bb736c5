// The GraphQL documents the tests send, written as a client of the original starter would.
export const REGISTER = `mutation Register($arg: UserRegister!) {
  user_register(arg: $arg) { id username email tokens { access refresh } }
}`;
export const LOGIN = `query Login($arg: UserLogin!) { user_login(arg: $arg) { access refresh } }`;
export const REFRESH = `query Refresh($arg: UserRefresh!) { user_refresh(arg: $arg) { access refresh } }`;
export const LOGOUT = `mutation Logout($arg: UserLogout!) { user_logout(arg: $arg) { status } }`;
export const SAMPLE = `mutation Sample($food: String!) { action_sample(food: $food) { hotdog } }`;
export const CHANGE_PASSWORD = `mutation ChangePassword($arg: ChangePassword!) { user_change_password(arg: $arg) { status code } }`;
export const RESET = `mutation Reset($arg: UserResetEmail!) { user_password_reset(arg: $arg) { status } }`;
export const RESET_VALIDATE = `query ResetValidate($arg: UserResetValidate!) { user_password_reset_validate(arg: $arg) { status } }`;
export const RESET_CONFIRM = `mutation ResetConfirm($arg: UserResetConfirm!) { user_password_reset_confirm(arg: $arg) { status } }`;
