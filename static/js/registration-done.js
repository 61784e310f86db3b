// Tell the platform that opened the registration that it is complete (LTI Dynamic Registration).
(window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
