/**
 * Browser notifications for messages that arrive while the tab is hidden. Permission is asked
 * only from a click (browsers ignore or penalise asking on load).
 */
export function notificationsSupported(): boolean {
  return typeof Notification !== "undefined";
}

export function notificationsAllowed(): boolean {
  return notificationsSupported() && Notification.permission === "granted";
}

export async function askForNotifications(): Promise<boolean> {
  if (!notificationsSupported()) return false;
  return (await Notification.requestPermission()) === "granted";
}

export function showNotification(title: string, body: string, conversation: string, open: (conversation: string) => void): void {
  if (!notificationsAllowed()) return;
  // One notification per conversation at a time: a newer message replaces the older one.
  const notification = new Notification(title, { body, tag: conversation });
  notification.onclick = () => {
    window.focus();
    open(conversation);
    notification.close();
  };
}
